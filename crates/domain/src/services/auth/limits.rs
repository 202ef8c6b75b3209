//! Brute-force protection: per-address rate limits (fixed windows counted in the database,
//! so they hold across nodes), and per-account failure counting with growing delays and a
//! temporary lock that lifts by itself.

use serde_json::json;
use time::OffsetDateTime;

use crate::Gatehouse;
use crate::audit::RequestContext;
use crate::error::{Error, Result};
use crate::model::{User, UserStatus};
use crate::principal::Actor;
use crate::services::{Audit, user_target};

/// The endpoints rate-limited per client address.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Limited {
    SignIn,
    Mfa,
    PasswordReset,
}

impl Gatehouse {
    /// Counts this request against its address's limit; `RateLimited` past it.
    pub(crate) async fn check_rate(&self, ctx: &RequestContext, what: Limited) -> Result<()> {
        let policy = self.auth.config.rate_limit;
        let (name, limit) = match what {
            Limited::SignIn => ("sign_in", policy.sign_in),
            Limited::Mfa => ("mfa", policy.mfa),
            Limited::PasswordReset => ("password_reset", policy.password_reset),
        };
        let now = self.now();
        let window = policy.window.whole_seconds().max(1);
        let start_secs = now.unix_timestamp().div_euclid(window) * window;
        let start = OffsetDateTime::from_unix_timestamp(start_secs).unwrap_or(now);
        let ip = ctx.client_ip.as_deref().unwrap_or("unknown");
        let hits = self
            .store
            .hit_rate_limit(&format!("{name}:{ip}"), start)
            .await?;
        if hits > i64::from(limit) {
            let left = (start_secs + window - now.unix_timestamp()).max(1);
            return Err(Error::RateLimited {
                retry_after_secs: u64::try_from(left).unwrap_or(1),
            });
        }
        Ok(())
    }

    /// Records a failed attempt (`count` is the failure count reserved for it): audited,
    /// and either a delay before the next attempt or, at the threshold, a lock.
    pub(crate) async fn record_failure(
        &self,
        ctx: &RequestContext,
        user: &User,
        count: i64,
        reason: &str,
    ) -> Result<()> {
        let now = self.now();
        let policy = self.auth.config.lockout;
        let mut tx = self.store.begin().await?;
        let actor = Actor::system();
        let audit = Audit::new(now, Some(user.business_id), &actor, ctx);
        let mut events = vec![audit.event(
            "auth.sign_in_failed",
            user_target(user),
            None,
            Some(json!({ "reason": reason, "consecutive_failures": count })),
        )];
        if count >= i64::from(policy.threshold) {
            let current = tx
                .get_user(user.business_id, user.id)
                .await?
                .ok_or(Error::UserNotFound)?;
            if current.status == UserStatus::Active {
                let locked = User {
                    status: UserStatus::Locked,
                    version: current.version + 1,
                    updated_at: now,
                    ..current.clone()
                };
                tx.update_user(&locked, current.version).await?;
            }
            let until = now + policy.duration;
            tx.set_sign_in_limits(user.id, None, Some(until)).await?;
            events.push(audit.event(
                "user.locked",
                user_target(user),
                Some(json!({ "status": current.status })),
                Some(
                    json!({ "status": UserStatus::Locked, "locked_until": until.unix_timestamp() }),
                ),
            ));
        } else {
            let delay = policy.delay_after(count);
            let until = (delay > time::Duration::ZERO).then(|| now + delay);
            tx.set_sign_in_limits(user.id, until, None).await?;
        }
        self.commit(tx, events).await
    }

    /// Unlocks a user: status back to `active`, failures forgotten. `None` if they were
    /// not locked.
    pub(crate) async fn unlock(
        &self,
        ctx: &RequestContext,
        actor: &Actor,
        user: &User,
        reason: &str,
    ) -> Result<Option<User>> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let current = tx
            .get_user(user.business_id, user.id)
            .await?
            .ok_or(Error::UserNotFound)?;
        if current.status != UserStatus::Locked {
            return Ok(None);
        }
        let after = User {
            status: UserStatus::Active,
            version: current.version + 1,
            updated_at: now,
            ..current.clone()
        };
        tx.update_user(&after, current.version).await?;
        tx.reset_sign_in_failures(user.id).await?;
        let audit = Audit::new(now, Some(user.business_id), actor, ctx);
        let event = audit.event(
            "user.unlocked",
            user_target(&after),
            Some(json!({ "status": current.status })),
            Some(json!({ "status": after.status, "reason": reason })),
        );
        self.commit(tx, vec![event]).await?;
        Ok(Some(after))
    }

    /// A locked user whose lock has run out, unlocked; anyone else as they are.
    pub(crate) async fn release_if_expired(
        &self,
        ctx: &RequestContext,
        user: User,
    ) -> Result<User> {
        if user.status != UserStatus::Locked {
            return Ok(user);
        }
        let creds = self
            .store
            .get_credentials(user.id)
            .await?
            .unwrap_or_default();
        if creds.locked_until.is_some_and(|t| t > self.now()) {
            return Ok(user);
        }
        match self
            .unlock(ctx, &Actor::system(), &user, "lock expired")
            .await
        {
            Ok(Some(u)) => Ok(u),
            // Someone else unlocked it first: read what they left.
            Ok(None) | Err(Error::VersionConflict { .. }) => self
                .store
                .get_user(user.business_id, user.id)
                .await?
                .ok_or(Error::UserNotFound),
            Err(e) => Err(e),
        }
    }

    /// Unlocks every user whose lock has run out (run periodically by the server, so an
    /// expired lock lifts even if nobody signs in). Returns how many.
    pub async fn release_expired_locks(&self) -> Result<usize> {
        let now = self.now();
        let mut released = 0;
        for (business, id) in self.store.list_expired_locks(now).await? {
            if let Some(user) = self.store.get_user(business, id).await? {
                let ctx = RequestContext::default();
                if self.release_if_expired(&ctx, user).await?.status == UserStatus::Active {
                    released += 1;
                }
            }
        }
        let window = self.auth.config.rate_limit.window;
        self.store.prune_rate_limits(now - window - window).await?;
        Ok(released)
    }
}
