//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0). Whenever a browser session
//! ends — sign-out, revocation, deactivation, a password or MFA reset, expiry — every
//! application holding a grant of it that registered a back-channel logout URI is owed a
//! signed logout token. The debt is written in the transaction that ends the session
//! ([`Gatehouse::end_sessions`]); a sender ([`Gatehouse::run_logout_sender`]) delivers it
//! with a lease, retries and back-off, so neither a crash nor an application that is down
//! loses it. Sessions that end by running out (idle or absolute limit) without anyone
//! noticing are swept by the same sender.

use std::future::Future;

use async_trait::async_trait;
use serde_json::json;
use time::Duration;

use super::grants::{ClaimedLogout, EndingSessions, LogoutOutcome};
use crate::Gatehouse;
use crate::audit::RequestContext;
use crate::auth::Session;
use crate::error::{Error, Result};
use crate::ids::BusinessId;
use crate::principal::Actor;
use crate::services::{Audit, user_target};
use crate::store::StoreTx;

/// The event a logout token carries.
pub const LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// The longest stored error text.
const ERROR_CHARS: usize = 300;

/// Delivers a logout token to an application.
#[async_trait]
pub trait LogoutTransport: Send + Sync + std::fmt::Debug {
    /// POSTs `logout_token=<token>` (form-encoded) to `uri`; `Ok` on a 2xx answer.
    async fn deliver(&self, uri: &str, logout_token: &str) -> std::result::Result<(), String>;
}

/// How the sender retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogoutPolicy {
    /// Attempts in all; after the last failure the logout is `failed` (and audited).
    pub max_attempts: i64,
    /// The wait after the first failure, doubling up to `retry_max`.
    pub retry_initial: Duration,
    pub retry_max: Duration,
    /// How long a claimed logout is reserved for its sender.
    pub lease: Duration,
    /// How long one delivery may take.
    pub timeout: std::time::Duration,
    /// How often the sender looks without being woken (retries, sweeps, other nodes).
    pub poll_interval: std::time::Duration,
    /// Logouts claimed at a time.
    pub batch: u32,
}

impl Default for LogoutPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            retry_initial: Duration::seconds(10),
            retry_max: Duration::minutes(30),
            lease: Duration::seconds(60),
            timeout: std::time::Duration::from_secs(10),
            poll_interval: std::time::Duration::from_secs(5),
            batch: 32,
        }
    }
}

impl LogoutPolicy {
    fn retry_after(&self, attempt: i64) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        (self.retry_initial * 2f64.powi(doublings as i32)).min(self.retry_max)
    }
}

impl Gatehouse {
    /// Ends sessions in `tx`, first recording the back-channel logouts they owe. Returns
    /// how many sessions ended.
    pub(crate) async fn end_sessions(
        &self,
        tx: &mut dyn StoreTx,
        business: BusinessId,
        ending: EndingSessions<'_>,
    ) -> Result<u64> {
        tx.queue_backchannel_logouts(business, ending, self.now())
            .await?;
        match ending {
            EndingSessions::One { user, id } => {
                Ok(u64::from(tx.delete_session(business, user, id).await?))
            }
            EndingSessions::ByHash(hash) => Ok(u64::from(tx.delete_session_by_hash(hash).await?)),
            EndingSessions::OfUser { user, keep } => {
                tx.delete_user_sessions(business, user, keep).await
            }
        }
    }

    /// Removes a session found past its limits; when applications hold grants of it, they
    /// are owed a logout (and the end is audited).
    pub(crate) async fn end_expired_session(&self, session: &Session) -> Result<()> {
        if !self.store().session_has_grants(session.id).await? {
            return self
                .store()
                .delete_expired_session(&session.token_hash)
                .await;
        }
        // Read before the transaction: one that holds a connection never waits for another.
        let user = self
            .store()
            .get_user(session.business_id, session.user_id)
            .await?;
        let mut tx = self.store().begin().await?;
        let this = EndingSessions::ByHash(&session.token_hash);
        if self
            .end_sessions(tx.as_mut(), session.business_id, this)
            .await?
            == 0
        {
            return Ok(());
        }
        let actor = Actor::system();
        let ctx = RequestContext::default();
        let audit = Audit::new(self.now(), Some(session.business_id), &actor, &ctx);
        let target = match &user {
            Some(u) => user_target(u),
            None => ("user", session.user_id.to_string(), String::new()),
        };
        let event = audit.event(
            "auth.session_expired",
            target,
            None,
            Some(json!({ "session_id": session.id })),
        );
        self.commit(tx, vec![event]).await
    }

    /// Ends the sessions with grants that ran out unnoticed (idle or absolute limit).
    pub async fn sweep_ended_sessions(&self) -> Result<usize> {
        let now = self.now();
        let idle_before = now - self.auth.config.session_idle;
        let ended = self
            .store()
            .ended_sessions_with_grants(now, idle_before, 100)
            .await?;
        for session in &ended {
            self.end_expired_session(session).await?;
        }
        Ok(ended.len())
    }

    /// Delivers every logout due now, one attempt each; returns how many were delivered.
    pub async fn deliver_due_logouts(
        &self,
        transport: &dyn LogoutTransport,
        policy: &LogoutPolicy,
    ) -> Result<usize> {
        let mut delivered = 0;
        loop {
            let now = self.now();
            let claimed = self
                .store()
                .claim_logouts(now, now + policy.lease, policy.batch.max(1))
                .await?;
            if claimed.is_empty() {
                return Ok(delivered);
            }
            for logout in claimed {
                if self.deliver_logout(transport, policy, &logout).await? {
                    delivered += 1;
                }
            }
        }
    }

    /// The logout token of a claimed logout (OIDC Back-Channel Logout §2.4).
    async fn logout_token(&self, logout: &ClaimedLogout) -> Result<Option<String>> {
        let Some(business) = self.store().get_business(logout.business_id).await? else {
            return Ok(None);
        };
        let client_id = logout.application_id.to_string();
        let Some(app) = self
            .application_by_client_id(logout.business_id, &client_id)
            .await?
        else {
            return Ok(None);
        };
        let now = self.now();
        let claims = json!({
            "iss": self.issuer(&business),
            "aud": client_id,
            "iat": now.unix_timestamp(),
            "exp": (now + Duration::minutes(2)).unix_timestamp(),
            "jti": self.new_jti()?,
            "sub": logout.user_id,
            "sid": logout.session_id,
            "events": { LOGOUT_EVENT: {} },
        });
        self.sign_for(&app, "logout+jwt", &claims).map(Some)
    }

    async fn deliver_logout(
        &self,
        transport: &dyn LogoutTransport,
        policy: &LogoutPolicy,
        logout: &ClaimedLogout,
    ) -> Result<bool> {
        let error = match self.logout_token(logout).await {
            Ok(Some(token)) => {
                let attempt = transport.deliver(&logout.uri, &token);
                match tokio::time::timeout(policy.timeout, attempt).await {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(e),
                    Err(_) => Some("the application did not answer in time".to_owned()),
                }
            }
            // The application or the business is gone: nobody is left to tell.
            Ok(None) => Some("the application no longer exists".to_owned()),
            Err(Error::Storage(e)) => return Err(Error::Storage(e)),
            Err(e) => Some(e.to_string()),
        };
        let now = self.now();
        let outcome = match &error {
            None => LogoutOutcome::Delivered { at: now },
            Some(e) => {
                let error: String = e.chars().take(ERROR_CHARS).collect();
                if logout.attempt >= policy.max_attempts {
                    tracing::error!(application = %logout.application_id, session = %logout.session_id, attempts = logout.attempt, %error, "back-channel logout not delivered; giving up");
                    LogoutOutcome::Failed { at: now, error }
                } else {
                    let at = now + policy.retry_after(logout.attempt);
                    tracing::warn!(application = %logout.application_id, session = %logout.session_id, attempt = logout.attempt, %error, retry_at = %at, "back-channel logout not delivered; will retry");
                    LogoutOutcome::Retry { at, error }
                }
            }
        };
        let finished = !matches!(outcome, LogoutOutcome::Retry { .. });
        let delivered = matches!(outcome, LogoutOutcome::Delivered { .. });
        if !self.store().finish_logout(logout, outcome).await? {
            tracing::warn!(application = %logout.application_id, "back-channel logout lease ran out; another sender took it over");
            return Ok(false);
        }
        if finished {
            self.audit_logout(logout, error.as_deref()).await?;
        }
        Ok(delivered)
    }

    async fn audit_logout(&self, logout: &ClaimedLogout, error: Option<&str>) -> Result<()> {
        let actor = Actor::system();
        let ctx = RequestContext::default();
        let audit = Audit::new(self.now(), Some(logout.business_id), &actor, &ctx);
        let (action, detail) = match error {
            None => ("oauth.backchannel_logout_delivered", json!({})),
            Some(e) => ("oauth.backchannel_logout_failed", json!({ "error": e })),
        };
        let mut detail = detail;
        detail["session_id"] = json!(logout.session_id);
        detail["user_id"] = json!(logout.user_id);
        detail["attempts"] = json!(logout.attempt);
        let event = audit.event(
            action,
            (
                "application",
                logout.application_id.to_string(),
                String::new(),
            ),
            None,
            Some(detail),
        );
        let tx = self.store().begin().await?;
        self.commit(tx, vec![event]).await
    }

    /// Sweeps ended sessions and delivers logouts until `shutdown`: at once when a commit
    /// of this node queued some, and every poll interval regardless.
    pub async fn run_logout_sender(
        &self,
        transport: &dyn LogoutTransport,
        policy: LogoutPolicy,
        shutdown: impl Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        let signal = self.store().logout_signal();
        let mut pruned_at = None;
        loop {
            if let Err(e) = self.sweep_ended_sessions().await {
                tracing::warn!(error = %e, "sweeping ended sessions failed; retrying");
            }
            if let Err(e) = self.deliver_due_logouts(transport, &policy).await {
                tracing::warn!(error = %e, "back-channel logout pass failed; retrying");
            }
            let now = self.now();
            if pruned_at.is_none_or(|at| now - at >= Duration::hours(1)) {
                pruned_at = Some(now);
                if let Err(e) = self.prune_oauth(now).await {
                    tracing::warn!(error = %e, "pruning ended grants failed");
                }
            }
            if !crate::services::idle(signal.as_ref(), policy.poll_interval, shutdown.as_mut())
                .await
            {
                return;
            }
        }
    }

    /// Forgets grants ended a day ago (their tokens have all expired) and finished logouts
    /// a week old.
    async fn prune_oauth(&self, now: time::OffsetDateTime) -> Result<()> {
        self.store().prune_logouts(now - Duration::days(7)).await?;
        let mut tx = self.store().begin().await?;
        let pruned = tx.prune_oauth_grants(now - Duration::days(1)).await?;
        if pruned == 0 {
            return Ok(());
        }
        let actor = Actor::system();
        let ctx = RequestContext::default();
        let audit = Audit::new(now, None, &actor, &ctx);
        let event = audit.event(
            "oauth.grants_pruned",
            ("oauth_grant", String::new(), String::new()),
            None,
            Some(json!({ "count": pruned })),
        );
        self.commit(tx, vec![event]).await
    }
}
