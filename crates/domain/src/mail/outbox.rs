//! The mail outbox: a mail is a row written in the same transaction as the change that
//! causes it (an invitation, a reset link, a notice), so it exists exactly when the change
//! does. A sender (`services/mail.rs`) claims due rows with a lease, delivers them through the
//! [`Mailer`](super::Mailer), and marks them sent, or schedules a retry with exponential
//! back-off, or gives up after the last attempt. A lease that runs out (its node died
//! mid-send) makes the row due again; each claim is atomic, so several nodes on one
//! database never deliver a row twice while its lease holds.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;
use time::{Duration, OffsetDateTime};

use super::Mail;
use crate::error::Result;
use crate::ids::{BusinessId, MailId, UserId};

/// How the sender retries and leases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// Attempts in all, the first included; after the last failure the mail is `failed`.
    pub max_attempts: u32,
    /// The wait after the first failure; each further failure doubles it…
    pub retry_initial: Duration,
    /// … up to this.
    pub retry_max: Duration,
    /// How long a claimed mail is reserved for its sender; after that another may take it.
    pub lease: Duration,
    /// How often the sender looks for due mail without being woken (retries, other nodes'
    /// mail).
    pub poll_interval: std::time::Duration,
    /// How long sent and failed rows stay (their delivery state is shown) before they go.
    pub keep: Duration,
    /// Mails claimed at a time.
    pub batch: u32,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            retry_initial: Duration::seconds(30),
            retry_max: Duration::hours(1),
            lease: Duration::minutes(5),
            poll_interval: std::time::Duration::from_secs(5),
            keep: Duration::days(30),
            batch: 10,
        }
    }
}

impl DeliveryPolicy {
    /// The wait after the `attempts`-th failed attempt: 1×, 2×, 4×, … the initial wait, at
    /// most the maximum.
    pub fn retry_after(&self, attempts: i64) -> Duration {
        let doublings = u32::try_from((attempts - 1).clamp(0, 30)).unwrap_or(30);
        self.retry_initial
            .checked_mul(1_i32 << doublings)
            .map_or(self.retry_max, |d| d.min(self.retry_max))
    }

    /// The longest one delivery may take: well inside the lease, so a slow server cannot
    /// make two nodes send the same mail.
    pub fn send_timeout(&self) -> std::time::Duration {
        let half = (self.lease / 2_i32).max(Duration::seconds(1));
        std::time::Duration::try_from(half).unwrap_or(std::time::Duration::from_secs(60))
    }
}

/// A row's stored state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailState {
    /// Waiting for its first attempt or for a retry (`next_attempt_at`).
    Pending,
    /// Claimed by a sender until its lease ends.
    Sending,
    Sent,
    /// Every attempt failed.
    Failed,
}

impl MailState {
    pub fn as_str(self) -> &'static str {
        match self {
            MailState::Pending => "pending",
            MailState::Sending => "sending",
            MailState::Sent => "sent",
            MailState::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            MailState::Pending,
            MailState::Sending,
            MailState::Sent,
            MailState::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// A mail to write into the outbox.
#[derive(Debug, Clone)]
pub struct QueuedMail {
    pub id: MailId,
    pub business_id: BusinessId,
    /// The user it is about (and to): the dashboard shows its delivery on their page.
    pub user_id: UserId,
    pub mail: Mail,
    pub created_at: OffsetDateTime,
}

/// A mail a sender has claimed: deliver it, then report with the same `attempt`.
#[derive(Debug, Clone)]
pub struct ClaimedMail {
    pub id: MailId,
    /// Which attempt this is (1 for the first). Finishing names it, so a sender whose lease
    /// ran out cannot overwrite the outcome of the one that took the mail over.
    pub attempt: i64,
    pub mail: Mail,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailOutcome {
    Sent {
        at: OffsetDateTime,
    },
    /// Failed; try again at `at`.
    Retry {
        at: OffsetDateTime,
        error: String,
    },
    /// Failed for the last time.
    Failed {
        error: String,
    },
}

/// Where a mail's delivery stands, as administrators see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Written, not yet tried.
    Queued,
    /// A sender is delivering it now.
    Sending,
    /// An attempt failed; another follows at `next_attempt_at`.
    Retrying,
    Sent,
    /// Every attempt failed (`last_error` says why); resending makes a new mail.
    Failed,
}

impl DeliveryStatus {
    pub fn of(state: MailState, attempts: i64) -> Self {
        match state {
            MailState::Pending if attempts == 0 => DeliveryStatus::Queued,
            MailState::Pending => DeliveryStatus::Retrying,
            MailState::Sending => DeliveryStatus::Sending,
            MailState::Sent => DeliveryStatus::Sent,
            MailState::Failed => DeliveryStatus::Failed,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Queued => "queued",
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Retrying => "retrying",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
        }
    }
}

/// The delivery of one mail (never its content).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MailDelivery {
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: i64,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub queued_at: OffsetDateTime,
    /// When the next attempt is due (queued or retrying).
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_attempt_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
}

/// The sender's side of the outbox. Not audited bookkeeping, like a session's activity.
#[async_trait]
pub trait MailOutbox: Send + Sync {
    /// Claims up to `limit` due mails (pending and due at `now`, or sending with a lease
    /// that ended by `now`) until `lease_until`, counting an attempt on each. Atomic: a mail
    /// is claimed by one caller only, whatever runs at the same time.
    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<ClaimedMail>>;
    /// Records how attempt `attempt` of mail `id` ended; `false` (nothing changed) when that
    /// claim is no longer current. A sent or failed mail's content is erased.
    async fn finish_mail(&self, id: MailId, attempt: i64, outcome: MailOutcome) -> Result<bool>;
    /// The latest mail of `kind` to each of `users` (of `business`) that has one.
    async fn latest_mail(
        &self,
        business: BusinessId,
        users: &[UserId],
        kind: &str,
    ) -> Result<Vec<(UserId, MailDelivery)>>;
    /// Forgets sent and failed mails queued before `before`.
    async fn prune_mail(&self, before: OffsetDateTime) -> Result<u64>;
    /// Signalled when a transaction that wrote mail commits, so the sender starts at once.
    /// `None`: poll only.
    fn mail_signal(&self) -> Option<Arc<tokio::sync::Notify>> {
        None
    }
}

/// Writing mail inside a change's transaction: it is delivered only if the change commits.
#[async_trait]
pub trait MailOutboxTx: Send {
    async fn enqueue_mail(&mut self, mail: &QueuedMail) -> Result<()>;
    /// Several mails at once (a bulk import's invitations).
    async fn enqueue_mails(&mut self, mails: &[QueuedMail]) -> Result<()> {
        for m in mails {
            self.enqueue_mail(m).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_up_to_the_maximum() {
        let p = DeliveryPolicy::default();
        assert_eq!(p.retry_after(1), Duration::seconds(30));
        assert_eq!(p.retry_after(2), Duration::seconds(60));
        assert_eq!(p.retry_after(4), Duration::seconds(240));
        assert_eq!(p.retry_after(8), Duration::hours(1));
        assert_eq!(p.retry_after(500), Duration::hours(1));
    }

    #[test]
    fn states_round_trip_and_read_as_statuses() {
        for s in ["pending", "sending", "sent", "failed"] {
            assert_eq!(MailState::parse(s).map(MailState::as_str), Some(s));
        }
        assert_eq!(
            DeliveryStatus::of(MailState::Pending, 0),
            DeliveryStatus::Queued
        );
        assert_eq!(
            DeliveryStatus::of(MailState::Pending, 2),
            DeliveryStatus::Retrying
        );
    }
}
