//! Delivering the outbox: claim due deliveries with a lease, post each signed, record the
//! outcome; retry with exponential back-off; after `max_attempts` failures in a row disable
//! the endpoint (its deliveries wait, in order, until it is enabled again) and mail the
//! business's webhook administrators.

use std::future::Future;

use async_trait::async_trait;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::signing::{WebhookSecret, signature_header};
use super::store::{ClaimedDelivery, DeliveryOutcome};
use crate::Gatehouse;
use crate::audit::RequestContext;
use crate::authz::matrix::{WhoCan, who_can};
use crate::error::{Error, Result};
use crate::mail::{Mail, MailMessage};
use crate::principal::Actor;
use crate::services::Audit;

/// The longest stored error text.
const ERROR_CHARS: usize = 300;

/// Posts a delivery. The implementation resolves the host, refuses non-public addresses
/// (unless the operator allows them) and connects only to the addresses it checked.
#[async_trait]
pub trait WebhookTransport: Send + Sync + std::fmt::Debug {
    /// POSTs `body` as JSON with `headers`; the answer's status, or why there was none.
    async fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: &str,
    ) -> std::result::Result<u16, String>;
}

/// How the sender retries and when it gives up on an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookPolicy {
    /// Failed attempts in a row (of one delivery) after which the endpoint is disabled.
    pub max_attempts: i64,
    /// The wait after the first failure, doubling up to `retry_max`.
    pub retry_initial: Duration,
    pub retry_max: Duration,
    /// How long a claimed delivery is reserved for its sender.
    pub lease: Duration,
    /// How long one attempt may take.
    pub timeout: std::time::Duration,
    /// How often the sender looks without being woken (retries, other nodes' changes).
    pub poll_interval: std::time::Duration,
    /// Deliveries claimed at a time.
    pub batch: u32,
}

impl Default for WebhookPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 12,
            retry_initial: Duration::seconds(10),
            retry_max: Duration::hours(1),
            lease: Duration::seconds(60),
            timeout: std::time::Duration::from_secs(10),
            poll_interval: std::time::Duration::from_secs(2),
            batch: 32,
        }
    }
}

impl WebhookPolicy {
    fn retry_after(&self, attempt: i64) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        self.retry_initial
            .checked_mul(1_i32 << doublings)
            .map_or(self.retry_max, |d| d.min(self.retry_max))
    }
}

impl Gatehouse {
    /// The secrets that sign a delivery now: the current one, and the previous one during
    /// its overlap.
    fn signing_secrets(
        &self,
        d: &ClaimedDelivery,
        now: OffsetDateTime,
    ) -> Result<Vec<WebhookSecret>> {
        let mut secrets = vec![self.open_webhook_secret(d.endpoint_id, &d.secret)?];
        if let (Some(prev), Some(until)) = (&d.previous_secret, d.previous_secret_until)
            && now < until
        {
            secrets.push(self.open_webhook_secret(d.endpoint_id, prev)?);
        }
        Ok(secrets)
    }

    /// Delivers every webhook due now, one attempt each; returns how many were delivered.
    pub async fn deliver_due_webhooks(
        &self,
        transport: &dyn WebhookTransport,
        policy: &WebhookPolicy,
    ) -> Result<usize> {
        let mut delivered = 0;
        loop {
            let now = self.now();
            let claimed = self
                .store()
                .claim_webhook_deliveries(now, now + policy.lease, policy.batch.max(1))
                .await?;
            if claimed.is_empty() {
                return Ok(delivered);
            }
            for d in claimed {
                if self.deliver_webhook(transport, policy, &d).await? {
                    delivered += 1;
                }
            }
        }
    }

    async fn deliver_webhook(
        &self,
        transport: &dyn WebhookTransport,
        policy: &WebhookPolicy,
        d: &ClaimedDelivery,
    ) -> Result<bool> {
        let now = self.now();
        let id = d.id.to_string();
        let timestamp = now.unix_timestamp();
        let secrets = self.signing_secrets(d, now)?;
        let headers = [
            ("webhook-id", id.clone()),
            ("webhook-timestamp", timestamp.to_string()),
            (
                "webhook-signature",
                signature_header(&secrets, &id, timestamp, &d.payload),
            ),
        ];
        let attempt = transport.post(&d.url, &headers, &d.payload);
        let (status, error) = match tokio::time::timeout(policy.timeout, attempt).await {
            Ok(Ok(status)) if (200..300).contains(&status) => (Some(i64::from(status)), None),
            Ok(Ok(status)) => (
                Some(i64::from(status)),
                Some(format!("the endpoint answered {status}")),
            ),
            Ok(Err(e)) => (None, Some(e)),
            Err(_) => (None, Some("the endpoint did not answer in time".to_owned())),
        };
        let now = self.now();
        let outcome = match &error {
            None => DeliveryOutcome::Delivered {
                at: now,
                status: status.unwrap_or(200),
            },
            Some(e) => DeliveryOutcome::Retry {
                at: now + policy.retry_after(d.attempt),
                status,
                error: e.chars().take(ERROR_CHARS).collect(),
            },
        };
        if !self.store().finish_webhook_delivery(d, outcome).await? {
            tracing::warn!(delivery = %d.id, "webhook delivery lease ran out; another sender took it over");
            return Ok(false);
        }
        match error {
            None => Ok(true),
            Some(e) => {
                tracing::warn!(endpoint = %d.endpoint_id, delivery = %d.id, attempt = d.attempt, error = %e, "webhook not delivered; will retry");
                if d.attempt >= policy.max_attempts {
                    self.disable_failing_webhook(d, &e).await?;
                }
                Ok(false)
            }
        }
    }

    /// Disables an endpoint that keeps failing, audits it and mails the business's webhook
    /// administrators (users who hold `webhooks.manage`).
    async fn disable_failing_webhook(&self, d: &ClaimedDelivery, error: &str) -> Result<()> {
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let Some(mut stored) = tx
            .get_webhook_for_update(d.business_id, d.endpoint_id)
            .await?
        else {
            return Ok(());
        };
        if !stored.endpoint.enabled {
            return Ok(());
        }
        let reason = format!("{} failed attempts in a row; the last: {error}", d.attempt);
        stored.endpoint.enabled = false;
        stored.endpoint.disabled_reason = Some(reason.clone());
        stored.endpoint.updated_at = now;
        tx.update_webhook(&stored).await?;
        let business = tx
            .get_business(d.business_id)
            .await?
            .ok_or(Error::BusinessNotFound)?;
        for admin in self.webhook_admins(d.business_id, now).await? {
            let mail = Mail {
                to: admin.email.clone(),
                business: business.name.to_string(),
                message: MailMessage::WebhookDisabled {
                    url: stored.endpoint.url.clone(),
                    reason: reason.clone(),
                },
            };
            self.enqueue_mail(tx.as_mut(), &admin, mail).await?;
        }
        tracing::error!(endpoint = %d.endpoint_id, %reason, "webhook endpoint disabled");
        let actor = Actor::system();
        let ctx = RequestContext::default();
        let audit = Audit::new(now, Some(d.business_id), &actor, &ctx);
        let target = (
            "webhook",
            d.endpoint_id.to_string(),
            stored.endpoint.url.clone(),
        );
        let event = audit.event(
            "webhook.disabled",
            target,
            None,
            Some(json!({ "reason": reason })),
        );
        self.commit(tx, vec![event]).await
    }

    /// Active users who hold `webhooks.manage`.
    async fn webhook_admins(
        &self,
        business: crate::ids::BusinessId,
        now: OffsetDateTime,
    ) -> Result<Vec<crate::model::User>> {
        let snapshot = self.engine.snapshot_or_load(self.store(), business).await?;
        let question = WhoCan {
            permission: "webhooks.manage",
            tenant: None,
            environment: None,
        };
        let (ids, _) = who_can(
            &snapshot,
            &self.engine.permissions_shared(),
            question,
            now,
            None,
            50,
        )?;
        let mut users = Vec::new();
        for id in ids {
            if let Some(u) = self.store().get_user(business, id).await? {
                users.push(u);
            }
        }
        Ok(users)
    }

    /// Delivers webhooks until `shutdown`: at once when a commit of this node enqueued some,
    /// and every poll interval regardless.
    pub async fn run_webhook_sender(
        &self,
        transport: &dyn WebhookTransport,
        policy: WebhookPolicy,
        shutdown: impl Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        let signal = self.store().webhook_signal();
        loop {
            if let Err(e) = self.deliver_due_webhooks(transport, &policy).await {
                tracing::warn!(error = %e, "webhook delivery pass failed; retrying");
            }
            if !crate::services::idle(signal.as_ref(), policy.poll_interval, shutdown.as_mut())
                .await
            {
                return;
            }
        }
    }
}
