//! What webhooks need of storage. Deliveries are enqueued by the store itself when it writes
//! audit events (in the same transaction), so no service can forget them.

use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::types::{WebhookDelivery, WebhookEndpoint};
use crate::error::Result;
use crate::ids::{BusinessId, WebhookDeliveryId, WebhookId};

/// An endpoint with its secrets, sealed (`SecretCipher`, bound to the endpoint's id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredWebhook {
    pub endpoint: WebhookEndpoint,
    pub secret: String,
    /// The secret before the last rotation; it signs too until `previous_secret_until`.
    pub previous_secret: Option<String>,
}

/// A delivery claimed by a sender, with what it needs to post it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedDelivery {
    pub id: WebhookDeliveryId,
    pub business_id: BusinessId,
    pub endpoint_id: WebhookId,
    pub url: String,
    pub payload: String,
    /// This attempt's number (1 for the first).
    pub attempt: i64,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<OffsetDateTime>,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered {
        at: OffsetDateTime,
        status: i64,
    },
    /// Failed; due again at `at`.
    Retry {
        at: OffsetDateTime,
        status: Option<i64>,
        error: String,
    },
}

#[async_trait]
pub trait WebhookReads: Send + Sync {
    /// The business's endpoints, oldest first.
    async fn list_webhooks(&self, business: BusinessId) -> Result<Vec<WebhookEndpoint>>;
    async fn get_webhook(
        &self,
        business: BusinessId,
        id: WebhookId,
    ) -> Result<Option<StoredWebhook>>;
    /// The endpoint's deliveries, newest first.
    async fn list_webhook_deliveries(
        &self,
        business: BusinessId,
        endpoint: WebhookId,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>>;
    /// Claims up to `limit` deliveries of enabled endpoints that are due at `now` (pending,
    /// or sending with a lease that ended) and have no earlier unfinished delivery about the
    /// same object to the same endpoint, until `lease_until`, counting an attempt on each.
    async fn claim_webhook_deliveries(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>>;
    /// Records an attempt's end; `false` when the lease had run out (another sender took
    /// the delivery over).
    async fn finish_webhook_delivery(
        &self,
        claimed: &ClaimedDelivery,
        outcome: DeliveryOutcome,
    ) -> Result<bool>;
    /// Signalled when a transaction that enqueued deliveries commits. `None`: poll only.
    fn webhook_signal(&self) -> Option<Arc<tokio::sync::Notify>> {
        None
    }
}

#[async_trait]
pub trait WebhookWrites: Send {
    async fn insert_webhook(&mut self, webhook: &StoredWebhook) -> Result<()>;
    /// Replaces everything but the id, business and creation time.
    async fn update_webhook(&mut self, webhook: &StoredWebhook) -> Result<()>;
    async fn delete_webhook(&mut self, business: BusinessId, id: WebhookId) -> Result<()>;
    /// The endpoint, locked until the transaction ends (PostgreSQL).
    async fn get_webhook_for_update(
        &mut self,
        business: BusinessId,
        id: WebhookId,
    ) -> Result<Option<StoredWebhook>>;
    /// Makes the endpoint's unfinished deliveries due at `now` with their attempts reset
    /// (when it is enabled again).
    async fn resume_webhook_deliveries(
        &mut self,
        endpoint: WebhookId,
        now: OffsetDateTime,
    ) -> Result<()>;
    /// Queues a copy of a delivery (same payload, new id) at the end of the order.
    async fn replay_webhook_delivery(
        &mut self,
        business: BusinessId,
        endpoint: WebhookId,
        delivery: WebhookDeliveryId,
        new_id: WebhookDeliveryId,
        now: OffsetDateTime,
    ) -> Result<Option<WebhookDelivery>>;
}
