//! Webhook writes inside a change's transaction, and the outbox hook: every audit event a
//! transaction writes leaves a delivery for each endpoint of its business subscribed to its
//! kind (disabled endpoints included: their deliveries wait for them).

use async_trait::async_trait;
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::clock::to_micros;
use gatehouse_domain::ids::{BusinessId, WebhookDeliveryId, WebhookId};
use gatehouse_domain::webhooks::store::{StoredWebhook, WebhookWrites};
use gatehouse_domain::webhooks::{WebhookDelivery, WebhookEventType, payload_of};
use gatehouse_domain::{Error, Result};
use sqlx::AnyConnection;
use time::OffsetDateTime;

use super::{DELIVERY_COLUMNS, ENDPOINT_COLUMNS, delivery, stored_webhook};
use crate::error::db;
use crate::rows;
use crate::tx::SqlTx;

/// Enqueues the deliveries `events` cause; whether there were any.
pub(crate) async fn enqueue(c: &mut AnyConnection, events: &[AuditEvent]) -> Result<bool> {
    // Only events of a webhook type can cause a delivery: a change made of others (a token
    // refresh, say) never reads the endpoints.
    let mut businesses: Vec<BusinessId> = events
        .iter()
        .filter(|e| WebhookEventType::of_action(&e.action).is_some())
        .filter_map(|e| e.business_id)
        .collect();
    businesses.sort();
    businesses.dedup();
    let mut queued = false;
    for business in businesses {
        let endpoints =
            sqlx::query("SELECT id, event_types FROM webhook_endpoints WHERE business_id = $1")
                .bind(business.to_string())
                .fetch_all(&mut *c)
                .await
                .map_err(db)?;
        if endpoints.is_empty() {
            continue;
        }
        let mut subscribed: Vec<(String, Vec<String>)> = Vec::with_capacity(endpoints.len());
        for row in &endpoints {
            let types = serde_json::from_str(&rows::text(row, "event_types")?).map_err(|_| {
                Error::Storage("stored webhook event types do not parse".to_owned())
            })?;
            subscribed.push((rows::text(row, "id")?, types));
        }
        for event in events.iter().filter(|e| e.business_id == Some(business)) {
            let Some(kind) = WebhookEventType::of_action(&event.action) else {
                continue;
            };
            let payload = serde_json::to_string(&payload_of(event, kind))
                .map_err(|e| Error::Storage(e.to_string()))?;
            let object = format!("{}:{}", event.target.kind, event.target.id);
            for (endpoint, types) in &subscribed {
                if !types.iter().any(|t| t == kind.as_str()) {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO webhook_deliveries (id, business_id, endpoint_id, event_id, event_type, object_key, \
                     payload, state, attempts, next_attempt_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8)",
                )
                .bind(WebhookDeliveryId::new(event.occurred_at).to_string())
                .bind(business.to_string())
                .bind(endpoint.as_str())
                .bind(event.id.to_string())
                .bind(event.action.clone())
                .bind(object.clone())
                .bind(payload.clone())
                .bind(to_micros(event.occurred_at))
                .execute(&mut *c)
                .await
                .map_err(db)?;
                queued = true;
            }
        }
    }
    Ok(queued)
}

fn types_json(w: &StoredWebhook) -> Result<String> {
    let names: Vec<&str> = w.endpoint.event_types.iter().map(|t| t.as_str()).collect();
    serde_json::to_string(&names).map_err(|e| Error::Storage(e.to_string()))
}

#[async_trait]
impl WebhookWrites for SqlTx {
    async fn insert_webhook(&mut self, w: &StoredWebhook) -> Result<()> {
        let e = &w.endpoint;
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, business_id, url, description, event_types, secret, previous_secret, \
             previous_until, enabled, disabled_reason, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(e.id.to_string())
        .bind(e.business_id.to_string())
        .bind(e.url.clone())
        .bind(e.description.clone())
        .bind(types_json(w)?)
        .bind(w.secret.clone())
        .bind(w.previous_secret.clone())
        .bind(e.previous_secret_until.map(to_micros))
        .bind(i64::from(e.enabled))
        .bind(e.disabled_reason.clone())
        .bind(to_micros(e.created_at))
        .bind(to_micros(e.updated_at))
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn update_webhook(&mut self, w: &StoredWebhook) -> Result<()> {
        let e = &w.endpoint;
        sqlx::query(
            "UPDATE webhook_endpoints SET url = $1, description = $2, event_types = $3, secret = $4, \
             previous_secret = $5, previous_until = $6, enabled = $7, disabled_reason = $8, updated_at = $9 \
             WHERE business_id = $10 AND id = $11",
        )
        .bind(e.url.clone())
        .bind(e.description.clone())
        .bind(types_json(w)?)
        .bind(w.secret.clone())
        .bind(w.previous_secret.clone())
        .bind(e.previous_secret_until.map(to_micros))
        .bind(i64::from(e.enabled))
        .bind(e.disabled_reason.clone())
        .bind(to_micros(e.updated_at))
        .bind(e.business_id.to_string())
        .bind(e.id.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn delete_webhook(&mut self, business: BusinessId, id: WebhookId) -> Result<()> {
        for sql in [
            "DELETE FROM webhook_deliveries WHERE business_id = $1 AND endpoint_id = $2",
            "DELETE FROM webhook_endpoints WHERE business_id = $1 AND id = $2",
        ] {
            sqlx::query(sql)
                .bind(business.to_string())
                .bind(id.to_string())
                .execute(&mut *self.tx)
                .await
                .map_err(db)?;
        }
        Ok(())
    }

    async fn get_webhook_for_update(
        &mut self,
        business: BusinessId,
        id: WebhookId,
    ) -> Result<Option<StoredWebhook>> {
        let lock = if self.postgres { " FOR UPDATE" } else { "" };
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE business_id = $1 AND id = $2{lock}"
        );
        let row = sqlx::query(&sql)
            .bind(business.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        row.as_ref().map(stored_webhook).transpose()
    }

    async fn resume_webhook_deliveries(
        &mut self,
        endpoint: WebhookId,
        now: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = $1 \
             WHERE endpoint_id = $2 AND state IN ('pending', 'sending')",
        )
        .bind(to_micros(now))
        .bind(endpoint.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        self.queued_webhooks = true;
        Ok(())
    }

    async fn replay_webhook_delivery(
        &mut self,
        business: BusinessId,
        endpoint: WebhookId,
        delivery_id: WebhookDeliveryId,
        new_id: WebhookDeliveryId,
        now: OffsetDateTime,
    ) -> Result<Option<WebhookDelivery>> {
        let copied = sqlx::query(
            "INSERT INTO webhook_deliveries (id, business_id, endpoint_id, event_id, event_type, object_key, \
             payload, state, attempts, next_attempt_at, created_at) \
             SELECT $1, business_id, endpoint_id, event_id, event_type, object_key, payload, 'pending', 0, $2, $2 \
             FROM webhook_deliveries WHERE business_id = $3 AND endpoint_id = $4 AND id = $5",
        )
        .bind(new_id.to_string())
        .bind(to_micros(now))
        .bind(business.to_string())
        .bind(endpoint.to_string())
        .bind(delivery_id.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(db)?
        .rows_affected();
        if copied == 0 {
            return Ok(None);
        }
        self.queued_webhooks = true;
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(new_id.to_string())
            .fetch_one(&mut *self.tx)
            .await
            .map_err(db)?;
        delivery(&row).map(Some)
    }
}
