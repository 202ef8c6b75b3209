//! Webhooks: a business subscribes HTTPS endpoints to kinds of events. Every audited change
//! of a subscribed kind leaves a delivery in the outbox (`webhook_deliveries`), written by
//! the store in the change's own transaction; a sender ([`Gatehouse::run_webhook_sender`])
//! posts it signed the Standard Webhooks way, retries with exponential back-off, keeps the
//! order per object (a delivery waits for the earlier ones about the same object), and
//! disables an endpoint that keeps failing (mailing the business's webhook administrators).
//! Endpoints on private, loopback or link-local addresses are refused unless the operator
//! allows them — when subscribing and again at each delivery, after DNS resolution.

pub mod address;
mod sender;
mod service;
pub mod signing;
pub mod store;
mod types;

pub use sender::{WebhookPolicy, WebhookTransport};
pub use service::{NewWebhook, WebhookPatch};
pub use signing::{WebhookSecret, signature};
pub use types::{DeliveryState, WebhookDelivery, WebhookEndpoint, WebhookEventType, payload_of};

use crate::Gatehouse;

/// What the operator allows of webhook endpoints (SSRF).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookConfig {
    /// Endpoints on private, loopback, link-local or otherwise non-public addresses.
    pub allow_private_addresses: bool,
    /// Plain `http://` endpoints (`https://` only otherwise).
    pub allow_http: bool,
}

impl Gatehouse {
    /// Sets what the operator allows of webhook endpoints.
    pub fn with_webhooks(mut self, config: WebhookConfig) -> Self {
        self.webhooks = config;
        self
    }

    pub fn webhook_config(&self) -> WebhookConfig {
        self.webhooks
    }
}
