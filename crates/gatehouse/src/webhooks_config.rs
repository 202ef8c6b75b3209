//! The `[webhooks]` configuration: what endpoints may be (SSRF) and how deliveries are
//! retried.

use serde::Deserialize;

/// Webhook delivery: what endpoints may be (SSRF) and when one that keeps failing is
/// disabled.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    /// Allow endpoints on private, loopback, link-local and other non-public addresses
    /// (checked when subscribing and after DNS resolution at each delivery). Off by default.
    pub allow_private_addresses: bool,
    /// Allow plain `http://` endpoints. Off by default.
    pub allow_http: bool,
    /// Failed attempts in a row after which an endpoint is disabled (its administrators are
    /// mailed; its events wait for it). Retries back off from 10 s, doubling, to 1 h.
    pub disable_after_attempts: i64,
    /// The wait after a delivery's first failure (doubling up to an hour).
    pub retry_initial_seconds: i64,
    /// How long a delivery under way is reserved for its node; one cut short (the node
    /// died) is taken up again after it.
    pub lease_seconds: i64,
    /// How often the sender looks for due deliveries without being woken, in milliseconds.
    pub poll_interval_ms: u64,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        Self {
            allow_private_addresses: false,
            allow_http: false,
            disable_after_attempts: 12,
            retry_initial_seconds: 10,
            lease_seconds: 60,
            poll_interval_ms: 2_000,
        }
    }
}

impl WebhooksConfig {
    pub fn allowed(&self) -> gatehouse_domain::webhooks::WebhookConfig {
        gatehouse_domain::webhooks::WebhookConfig {
            allow_private_addresses: self.allow_private_addresses,
            allow_http: self.allow_http,
        }
    }

    pub fn policy(&self) -> gatehouse_domain::webhooks::WebhookPolicy {
        gatehouse_domain::webhooks::WebhookPolicy {
            max_attempts: self.disable_after_attempts.clamp(1, 100),
            retry_initial: time::Duration::seconds(self.retry_initial_seconds.clamp(1, 3_600)),
            lease: time::Duration::seconds(self.lease_seconds.clamp(2, 3_600)),
            poll_interval: std::time::Duration::from_millis(
                self.poll_interval_ms.clamp(50, 60_000),
            ),
            ..Default::default()
        }
    }
}
