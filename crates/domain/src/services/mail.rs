//! Mail delivery: services write mail into the outbox inside their own transaction
//! ([`Gatehouse::enqueue_mail`]); the sender delivers it afterwards. `gatehouse serve` runs
//! [`Gatehouse::run_mail_sender`] in the background; a CLI command runs
//! [`Gatehouse::deliver_due_mail`] before it exits. See [`crate::mail::outbox`] for the
//! states, the lease and the back-off.

use std::collections::HashMap;
use std::future::Future;

use super::Gatehouse;
use crate::error::{Error, Result};
use crate::ids::{MailId, UserId};
use crate::mail::outbox::{ClaimedMail, MailDelivery, MailOutcome, QueuedMail};
use crate::mail::{Mail, MailMessage};
use crate::model::User;
use crate::principal::{BusinessAccess, UsersView};
use crate::store::StoreTx;

/// The longest stored error text: enough to diagnose, never a whole server transcript.
const ERROR_CHARS: usize = 500;

impl Gatehouse {
    /// Writes `mail` (about and to `user`) into the outbox within `tx`: it goes out once the
    /// change commits, and never if it does not.
    pub(crate) async fn enqueue_mail(
        &self,
        tx: &mut dyn StoreTx,
        user: &User,
        mail: Mail,
    ) -> Result<()> {
        tx.enqueue_mail(&self.queued_mail(user, mail)).await
    }

    /// `mail` to `user`, ready for the outbox.
    pub(crate) fn queued_mail(&self, user: &User, mail: Mail) -> QueuedMail {
        let now = self.now();
        QueuedMail {
            id: MailId::new(now),
            business_id: user.business_id,
            user_id: user.id,
            mail,
            created_at: now,
        }
    }

    /// Mails the user about their own account, within `tx`.
    pub(crate) async fn mail_user(
        &self,
        tx: &mut dyn StoreTx,
        user: &User,
        message: MailMessage,
    ) -> Result<()> {
        let business = tx
            .get_business(user.business_id)
            .await?
            .ok_or(Error::BusinessNotFound)?;
        let mail = Mail {
            to: user.email.clone(),
            business: business.name.to_string(),
            message,
        };
        self.enqueue_mail(tx, user, mail).await
    }

    /// Delivers every mail due now, one attempt each, and returns how many went out. Mail
    /// that fails is scheduled for a retry (or marked failed after its last attempt), so
    /// this ends even while the mail server is down.
    pub async fn deliver_due_mail(&self) -> Result<usize> {
        let policy = self.auth_config().mail_delivery;
        let mut sent = 0;
        loop {
            let now = self.now();
            let claimed = self
                .store
                .claim_mail(now, now + policy.lease, policy.batch.max(1))
                .await?;
            if claimed.is_empty() {
                return Ok(sent);
            }
            for mail in claimed {
                if self.deliver(mail).await? {
                    sent += 1;
                }
            }
        }
    }

    /// One attempt at one claimed mail; whether it was sent.
    async fn deliver(&self, claimed: ClaimedMail) -> Result<bool> {
        let policy = self.auth_config().mail_delivery;
        let kind = claimed.mail.message.kind();
        let attempt = self.auth.mailer().send(&claimed.mail);
        let error = match tokio::time::timeout(policy.send_timeout(), attempt).await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some("the mail server did not answer in time".to_owned()),
        };
        let now = self.now();
        // The message itself is never logged: links in it are single-use secrets.
        let outcome = match error {
            None => MailOutcome::Sent { at: now },
            Some(error) => {
                let error: String = error.chars().take(ERROR_CHARS).collect();
                if claimed.attempt >= i64::from(policy.max_attempts) {
                    tracing::error!(mail = %claimed.id, kind, attempts = claimed.attempt, %error, "mail not delivered; giving up");
                    MailOutcome::Failed { error }
                } else {
                    let at = now + policy.retry_after(claimed.attempt);
                    tracing::warn!(mail = %claimed.id, kind, attempt = claimed.attempt, %error, retry_at = %at, "mail not delivered; will retry");
                    MailOutcome::Retry { at, error }
                }
            }
        };
        let sent = matches!(outcome, MailOutcome::Sent { .. });
        if !self
            .store
            .finish_mail(claimed.id, claimed.attempt, outcome)
            .await?
        {
            tracing::warn!(mail = %claimed.id, kind, "mail lease ran out before its attempt ended; another sender took it over");
        }
        Ok(sent)
    }

    /// Delivers mail until `shutdown` completes: at once when a commit wrote some (the
    /// store's signal), and every poll interval regardless (retries, other nodes' mail, a
    /// missed signal). Sent and failed rows past their keeping time are pruned as it goes.
    /// A delivery under way finishes before shutdown is noticed.
    pub async fn run_mail_sender(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let policy = self.auth_config().mail_delivery;
        let signal = self.store.mail_signal();
        let mut pruned_at = None;
        loop {
            if let Err(e) = self.deliver_due_mail().await {
                tracing::warn!(error = %e, "mail delivery pass failed; retrying");
            }
            let now = self.now();
            if pruned_at.is_none_or(|at| now - at >= time::Duration::hours(1)) {
                pruned_at = Some(now);
                if let Err(e) = self.store.prune_mail(now - policy.keep).await {
                    tracing::warn!(error = %e, "pruning delivered mail failed");
                }
            }
            if !crate::services::idle(signal.as_ref(), policy.poll_interval, shutdown.as_mut())
                .await
            {
                return;
            }
        }
    }

    /// The delivery of the user's latest invitation mail, if one was ever written.
    /// Requires `users.view`.
    pub async fn invitation_delivery(
        &self,
        access: &BusinessAccess<UsersView>,
        user: UserId,
    ) -> Result<Option<MailDelivery>> {
        Ok(self
            .invitation_deliveries(access, &[user])
            .await?
            .remove(&user))
    }

    /// [`Gatehouse::invitation_delivery`] for several users at once (a page of them).
    pub async fn invitation_deliveries(
        &self,
        access: &BusinessAccess<UsersView>,
        users: &[UserId],
    ) -> Result<HashMap<UserId, MailDelivery>> {
        let kind = MailMessage::INVITATION_KIND;
        let found = self
            .store
            .latest_mail(access.business_id(), users, kind)
            .await?;
        Ok(found.into_iter().collect())
    }
}
