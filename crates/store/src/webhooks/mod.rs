//! Webhook endpoints and their delivery outbox (`webhook_deliveries`). Deliveries are
//! enqueued when a transaction writes audit events ([`enqueue`]); senders claim them with a
//! lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, SQLite's single writer otherwise), never
//! one whose earlier delivery about the same object to the same endpoint is unfinished.

mod tx;

use std::sync::Arc;

use async_trait::async_trait;
use gatehouse_domain::clock::to_micros;
use gatehouse_domain::ids::{BusinessId, WebhookId};
use gatehouse_domain::webhooks::store::{
    ClaimedDelivery, DeliveryOutcome, StoredWebhook, WebhookReads,
};
use gatehouse_domain::webhooks::{
    DeliveryState, WebhookDelivery, WebhookEndpoint, WebhookEventType,
};
use gatehouse_domain::{Error, Result};
use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use tokio::sync::Notify;

pub(crate) use tx::enqueue;

use crate::connect::Backend;
use crate::error::db;
use crate::rows;
use crate::store::SqlStore;

const ENDPOINT_COLUMNS: &str = "id, business_id, url, description, event_types, secret, \
    previous_secret, previous_until, enabled, disabled_reason, created_at, updated_at";
const DELIVERY_COLUMNS: &str = "id, endpoint_id, event_id, event_type, object_key, state, \
    attempts, last_status, last_error, created_at, next_attempt_at, delivered_at";

fn corrupt(what: &str) -> Error {
    Error::Storage(format!("stored webhook {what} does not parse"))
}

pub(crate) fn stored_webhook(row: &AnyRow) -> Result<StoredWebhook> {
    let types: Vec<String> = serde_json::from_str(&rows::text(row, "event_types")?)
        .map_err(|_| corrupt("event types"))?;
    let event_types = types
        .iter()
        .map(|t| WebhookEventType::parse(t).ok_or_else(|| corrupt("event type")))
        .collect::<Result<Vec<_>>>()?;
    Ok(StoredWebhook {
        endpoint: WebhookEndpoint {
            id: rows::id(row, "id")?,
            business_id: rows::id(row, "business_id")?,
            url: rows::text(row, "url")?,
            description: rows::text(row, "description")?,
            event_types,
            enabled: rows::int(row, "enabled")? != 0,
            disabled_reason: rows::opt_text(row, "disabled_reason")?,
            previous_secret_until: rows::opt_time(row, "previous_until")?,
            created_at: rows::time(row, "created_at")?,
            updated_at: rows::time(row, "updated_at")?,
        },
        secret: rows::text(row, "secret")?,
        previous_secret: rows::opt_text(row, "previous_secret")?,
    })
}

pub(crate) fn delivery(row: &AnyRow) -> Result<WebhookDelivery> {
    let state = DeliveryState::parse(&rows::text(row, "state")?).ok_or_else(|| corrupt("state"))?;
    Ok(WebhookDelivery {
        id: rows::id(row, "id")?,
        endpoint_id: rows::id(row, "endpoint_id")?,
        event_id: rows::id(row, "event_id")?,
        event_type: rows::text(row, "event_type")?,
        object: rows::text(row, "object_key")?,
        state,
        attempts: rows::int(row, "attempts")?,
        last_status: row.try_get::<Option<i64>, _>("last_status").map_err(db)?,
        last_error: rows::opt_text(row, "last_error")?,
        created_at: rows::time(row, "created_at")?,
        next_attempt_at: match state {
            DeliveryState::Delivered => None,
            _ => Some(rows::time(row, "next_attempt_at")?),
        },
        delivered_at: rows::opt_time(row, "delivered_at")?,
    })
}

#[async_trait]
impl WebhookReads for SqlStore {
    async fn list_webhooks(&self, business: BusinessId) -> Result<Vec<WebhookEndpoint>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE business_id = $1 ORDER BY id"
        );
        let found = sqlx::query(&sql)
            .bind(business.to_string())
            .fetch_all(self.reader())
            .await
            .map_err(db)?;
        found
            .iter()
            .map(|r| stored_webhook(r).map(|w| w.endpoint))
            .collect()
    }

    async fn get_webhook(
        &self,
        business: BusinessId,
        id: WebhookId,
    ) -> Result<Option<StoredWebhook>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE business_id = $1 AND id = $2"
        );
        let found = sqlx::query(&sql)
            .bind(business.to_string())
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await
            .map_err(db)?;
        found.as_ref().map(stored_webhook).transpose()
    }

    async fn list_webhook_deliveries(
        &self,
        business: BusinessId,
        endpoint: WebhookId,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE business_id = $1 AND endpoint_id = $2 \
             ORDER BY seq DESC LIMIT $3"
        );
        let found = sqlx::query(&sql)
            .bind(business.to_string())
            .bind(endpoint.to_string())
            .bind(i64::from(limit))
            .fetch_all(self.reader())
            .await
            .map_err(db)?;
        found.iter().map(delivery).collect()
    }

    async fn claim_webhook_deliveries(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>> {
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE OF d SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE webhook_deliveries SET state = 'sending', attempts = attempts + 1, next_attempt_at = $1 \
             WHERE seq IN (SELECT d.seq FROM webhook_deliveries d \
             JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE e.enabled = 1 AND d.state IN ('pending', 'sending') AND d.next_attempt_at <= $2 \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id \
             AND p.object_key = d.object_key AND p.state IN ('pending', 'sending') AND p.seq < d.seq) \
             ORDER BY d.seq LIMIT $3{lock}) \
             RETURNING id, business_id, endpoint_id, payload, attempts"
        );
        let found = sqlx::query(&sql)
            .bind(to_micros(lease_until))
            .bind(to_micros(now))
            .bind(i64::from(limit))
            .fetch_all(self.writer())
            .await
            .map_err(db)?;
        let mut out = Vec::with_capacity(found.len());
        for row in &found {
            let business: BusinessId = rows::id(row, "business_id")?;
            let endpoint_id: WebhookId = rows::id(row, "endpoint_id")?;
            let Some(w) = self.get_webhook(business, endpoint_id).await? else {
                continue;
            };
            out.push(ClaimedDelivery {
                id: rows::id(row, "id")?,
                business_id: business,
                endpoint_id,
                url: w.endpoint.url,
                payload: rows::text(row, "payload")?,
                attempt: rows::int(row, "attempts")?,
                secret: w.secret,
                previous_secret: w.previous_secret,
                previous_secret_until: w.endpoint.previous_secret_until,
            });
        }
        Ok(out)
    }

    async fn finish_webhook_delivery(
        &self,
        claimed: &ClaimedDelivery,
        outcome: DeliveryOutcome,
    ) -> Result<bool> {
        let fence = "WHERE id = $1 AND attempts = $2 AND state = 'sending'";
        let (sql, at, status, error) = match outcome {
            DeliveryOutcome::Delivered { at, status } => (
                format!(
                    "UPDATE webhook_deliveries SET state = 'delivered', delivered_at = $3, last_status = $4, \
                     last_error = NULL {fence}"
                ),
                at,
                Some(status),
                None,
            ),
            DeliveryOutcome::Retry { at, status, error } => (
                format!(
                    "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $3, last_status = $4, \
                     last_error = $5 {fence}"
                ),
                at,
                status,
                Some(error),
            ),
        };
        let mut q = sqlx::query(&sql)
            .bind(claimed.id.to_string())
            .bind(claimed.attempt)
            .bind(to_micros(at))
            .bind(status);
        if let Some(e) = error {
            q = q.bind(e);
        }
        let changed = q.execute(self.writer()).await.map_err(db)?.rows_affected();
        Ok(changed > 0)
    }

    fn webhook_signal(&self) -> Option<Arc<Notify>> {
        Some(self.webhook_signal.clone())
    }
}
