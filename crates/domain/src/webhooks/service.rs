//! Managing a business's webhook endpoints, their secrets and their deliveries. Every
//! operation requires `webhooks.manage` and is audited.

use serde_json::json;
use time::Duration;

use super::address::check_url;
use super::signing::WebhookSecret;
use super::store::StoredWebhook;
use super::types::{WebhookDelivery, WebhookEndpoint, WebhookEventType};
use crate::Gatehouse;
use crate::audit::RequestContext;
use crate::error::{Error, Result};
use crate::ids::{WebhookDeliveryId, WebhookId};
use crate::principal::{BusinessAccess, WebhooksManage};
use crate::services::Audit;
use crate::types::Description;

/// How long the secret before a rotation keeps signing (both signatures are sent).
pub const SECRET_OVERLAP: Duration = Duration::hours(24);

/// A new subscription.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    pub description: Description,
    pub event_types: Vec<WebhookEventType>,
}

/// A change to a subscription; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub description: Option<Description>,
    pub event_types: Option<Vec<WebhookEventType>>,
    /// `true` enables it again (its waiting deliveries resume, in order).
    pub enabled: Option<bool>,
}

fn event_types(mut types: Vec<WebhookEventType>) -> Result<Vec<WebhookEventType>> {
    types.sort();
    types.dedup();
    if types.is_empty() {
        return Err(Error::invalid(
            "invalid_webhook_event_types",
            "event_types",
            "subscribe to at least one event type",
        ));
    }
    Ok(types)
}

fn target(w: &WebhookEndpoint) -> (&'static str, String, String) {
    ("webhook", w.id.to_string(), w.url.clone())
}

impl Gatehouse {
    /// Seals `secret` for endpoint `id`.
    fn seal_webhook_secret(&self, id: WebhookId, secret: &WebhookSecret) -> Result<String> {
        self.cipher()
            .seal(self.entropy(), secret.as_bytes(), id.to_string().as_bytes())
    }

    /// Opens a sealed secret of endpoint `id`.
    pub(crate) fn open_webhook_secret(&self, id: WebhookId, sealed: &str) -> Result<WebhookSecret> {
        let bytes = self.cipher().open(sealed, id.to_string().as_bytes())?;
        Ok(WebhookSecret::from_bytes(bytes))
    }

    /// Subscribes an endpoint; returns it with its secret (shown once). Requires
    /// `webhooks.manage`.
    pub async fn create_webhook(
        &self,
        access: &BusinessAccess<WebhooksManage>,
        ctx: &RequestContext,
        new: NewWebhook,
    ) -> Result<(WebhookEndpoint, WebhookSecret)> {
        let url = check_url(&new.url, self.webhook_config())?;
        let event_types = event_types(new.event_types)?;
        let now = self.now();
        let id = WebhookId::new(now);
        let secret = WebhookSecret::generate(self.entropy())?;
        let endpoint = WebhookEndpoint {
            id,
            business_id: access.business_id(),
            url: url.to_string(),
            description: new.description.to_string(),
            event_types,
            enabled: true,
            disabled_reason: None,
            previous_secret_until: None,
            created_at: now,
            updated_at: now,
        };
        let stored = StoredWebhook {
            endpoint: endpoint.clone(),
            secret: self.seal_webhook_secret(id, &secret)?,
            previous_secret: None,
        };
        let mut tx = self.store().begin().await?;
        tx.insert_webhook(&stored).await?;
        let audit = Audit::new(now, Some(access.business_id()), access.actor(), ctx);
        let after = json!({ "url": endpoint.url, "event_types": endpoint.event_types });
        let event = audit.event("webhook.created", target(&endpoint), None, Some(after));
        self.commit(tx, vec![event]).await?;
        Ok((endpoint, secret))
    }

    /// The business's endpoints. Requires `webhooks.manage`.
    pub async fn list_webhooks(
        &self,
        access: &BusinessAccess<WebhooksManage>,
    ) -> Result<Vec<WebhookEndpoint>> {
        self.store().list_webhooks(access.business_id()).await
    }

    /// One endpoint. Requires `webhooks.manage`.
    pub async fn get_webhook(
        &self,
        access: &BusinessAccess<WebhooksManage>,
        id: WebhookId,
    ) -> Result<WebhookEndpoint> {
        self.store()
            .get_webhook(access.business_id(), id)
            .await?
            .map(|w| w.endpoint)
            .ok_or(Error::WebhookNotFound)
    }

    /// Changes an endpoint. Requires `webhooks.manage`.
    pub async fn update_webhook(
        &self,
        access: &BusinessAccess<WebhooksManage>,
        ctx: &RequestContext,
        id: WebhookId,
        patch: WebhookPatch,
    ) -> Result<WebhookEndpoint> {
        let url = patch
            .url
            .as_deref()
            .map(|u| check_url(u, self.webhook_config()))
            .transpose()?;
        let types = patch.event_types.map(event_types).transpose()?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut stored = tx
            .get_webhook_for_update(access.business_id(), id)
            .await?
            .ok_or(Error::WebhookNotFound)?;
        let before = stored.endpoint.clone();
        let w = &mut stored.endpoint;
        if let Some(url) = url {
            w.url = url.to_string();
        }
        if let Some(d) = patch.description {
            w.description = d.to_string();
        }
        if let Some(t) = types {
            w.event_types = t;
        }
        let enabling = patch.enabled == Some(true) && !before.enabled;
        if let Some(enabled) = patch.enabled {
            w.enabled = enabled;
            if enabled {
                w.disabled_reason = None;
            }
        }
        w.updated_at = now;
        let after = w.clone();
        tx.update_webhook(&stored).await?;
        if enabling {
            tx.resume_webhook_deliveries(id, now).await?;
        }
        let audit = Audit::new(now, Some(access.business_id()), access.actor(), ctx);
        let shape = |w: &WebhookEndpoint| json!({ "url": w.url, "description": w.description, "event_types": w.event_types, "enabled": w.enabled });
        let event = audit.event(
            "webhook.updated",
            target(&after),
            Some(shape(&before)),
            Some(shape(&after)),
        );
        self.commit(tx, vec![event]).await?;
        Ok(after)
    }

    /// Unsubscribes an endpoint; its undelivered deliveries go with it. Requires
    /// `webhooks.manage`.
    pub async fn delete_webhook(
        &self,
        access: &BusinessAccess<WebhooksManage>,
        ctx: &RequestContext,
        id: WebhookId,
    ) -> Result<()> {
        let mut tx = self.store().begin().await?;
        let stored = tx
            .get_webhook_for_update(access.business_id(), id)
            .await?
            .ok_or(Error::WebhookNotFound)?;
        tx.delete_webhook(access.business_id(), id).await?;
        let audit = Audit::new(self.now(), Some(access.business_id()), access.actor(), ctx);
        let event = audit.event("webhook.deleted", target(&stored.endpoint), None, None);
        self.commit(tx, vec![event]).await
    }

    /// A new secret (shown once); the old one keeps signing for [`SECRET_OVERLAP`], both
    /// signatures sent meanwhile. Requires `webhooks.manage`.
    pub async fn rotate_webhook_secret(
        &self,
        access: &BusinessAccess<WebhooksManage>,
        ctx: &RequestContext,
        id: WebhookId,
    ) -> Result<(WebhookEndpoint, WebhookSecret)> {
        let now = self.now();
        let secret = WebhookSecret::generate(self.entropy())?;
        let mut tx = self.store().begin().await?;
        let mut stored = tx
            .get_webhook_for_update(access.business_id(), id)
            .await?
            .ok_or(Error::WebhookNotFound)?;
        stored.previous_secret = Some(std::mem::replace(
            &mut stored.secret,
            self.seal_webhook_secret(id, &secret)?,
        ));
        stored.endpoint.previous_secret_until = Some(now + SECRET_OVERLAP);
        stored.endpoint.updated_at = now;
        tx.update_webhook(&stored).await?;
        let audit = Audit::new(now, Some(access.business_id()), access.actor(), ctx);
        let after = json!({ "previous_secret_until": stored.endpoint.previous_secret_until.map(|t| t.unix_timestamp()) });
        let event = audit.event(
            "webhook.secret_rotated",
            target(&stored.endpoint),
            None,
            Some(after),
        );
        self.commit(tx, vec![event]).await?;
        Ok((stored.endpoint, secret))
    }

    /// The endpoint's delivery log, newest first. Requires `webhooks.manage`.
    pub async fn list_webhook_deliveries(
        &self,
        access: &BusinessAccess<WebhooksManage>,
        id: WebhookId,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>> {
        self.get_webhook(access, id).await?;
        self.store()
            .list_webhook_deliveries(access.business_id(), id, limit)
            .await
    }

    /// Sends a delivery again: a copy (same payload, new id) queued after everything else.
    /// Requires `webhooks.manage`.
    pub async fn replay_webhook_delivery(
        &self,
        access: &BusinessAccess<WebhooksManage>,
        ctx: &RequestContext,
        id: WebhookId,
        delivery: WebhookDeliveryId,
    ) -> Result<WebhookDelivery> {
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let stored = tx
            .get_webhook_for_update(access.business_id(), id)
            .await?
            .ok_or(Error::WebhookNotFound)?;
        let copy = tx
            .replay_webhook_delivery(
                access.business_id(),
                id,
                delivery,
                WebhookDeliveryId::new(now),
                now,
            )
            .await?
            .ok_or(Error::WebhookDeliveryNotFound)?;
        let audit = Audit::new(now, Some(access.business_id()), access.actor(), ctx);
        let after =
            json!({ "delivery_id": delivery, "replay_id": copy.id, "event_id": copy.event_id });
        let event = audit.event(
            "webhook.delivery_replayed",
            target(&stored.endpoint),
            None,
            Some(after),
        );
        self.commit(tx, vec![event]).await?;
        Ok(copy)
    }
}
