//! Brute-force protection: per-address rate limits (fixed windows counted in the database,
//! so they hold across nodes), and per-account failure counting with growing delays and a
//! temporary lock that lifts by itself.
//!
//! An attempt is reserved before its secret is evaluated (counted as a failure until known
//! right), so simultaneous attempts can never evaluate more than the threshold; a correct
//! password that leads to the second factor gives its reservation back. Every decision on
//! the counters runs under the account's credentials row lock, and a lock is only ever set
//! together with its end.

use serde_json::json;
use time::OffsetDateTime;

use crate::Gatehouse;
use crate::audit::RequestContext;
use crate::auth::AttemptReservation;
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
    SignInLinks,
}

/// What stands between a user and their next sign-in, as administrators see it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SignInHold {
    /// Failed attempts in a row (passwords and codes) since the last success or unlock.
    pub failed_attempts: i64,
    /// No attempt is evaluated before this time (a delay or a lock), if it is still ahead.
    pub until: Option<OffsetDateTime>,
}

impl Gatehouse {
    /// The user's failed attempts and any delay or lock still in force. Requires
    /// `users.view`.
    pub async fn sign_in_hold(
        &self,
        access: &crate::principal::BusinessAccess<crate::principal::UsersView>,
        id: crate::ids::UserId,
    ) -> Result<SignInHold> {
        self.store
            .get_user(access.business_id(), id)
            .await?
            .ok_or(Error::UserNotFound)?;
        let creds = self.store.get_credentials(id).await?.unwrap_or_default();
        let now = self.now();
        Ok(SignInHold {
            failed_attempts: creds.failed_count,
            until: creds.held_until().filter(|t| *t > now),
        })
    }

    /// Counts this request against its address's limit; `RateLimited` past it.
    pub(crate) async fn check_rate(&self, ctx: &RequestContext, what: Limited) -> Result<()> {
        let policy = self.auth.config.rate_limit;
        let (name, limit) = match what {
            Limited::SignIn => ("sign_in", policy.sign_in),
            Limited::Mfa => ("mfa", policy.mfa),
            Limited::PasswordReset => ("password_reset", policy.password_reset),
            Limited::SignInLinks => ("sign_in_links", policy.sign_in_links),
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

    /// Reserves one attempt at the account's secrets (a password or a second factor): the
    /// reservation, or `None` while the account waits out a delay or a lock or has as many
    /// attempts in flight as it has failures left.
    pub(crate) async fn reserve_attempt(&self, user: &User) -> Result<Option<AttemptReservation>> {
        let threshold = i64::from(self.auth.config.lockout.threshold);
        self.store
            .reserve_sign_in_attempt(user.id, self.now(), threshold)
            .await
    }

    /// How long until the account's next attempt may be evaluated (at least a second).
    pub(crate) async fn wait_before_attempt(&self, user: &User) -> Result<u64> {
        let creds = self
            .store
            .get_credentials(user.id)
            .await?
            .unwrap_or_default();
        let now = self.now();
        let secs = creds
            .held_until()
            .map_or(1, |t| (t - now).whole_seconds().max(1));
        Ok(u64::try_from(secs).unwrap_or(1))
    }

    /// Records a wrong secret evaluated under `reserved`: audited, and a delay before the
    /// next attempt or, at the threshold, a lock with an end. One transaction holding the
    /// account's credentials row, so it is decided against every other change to the
    /// counters; a delay or lock is only ever extended here, never shortened or cleared. A
    /// failure from a period that has ended since (an unlock, a success) is audited only.
    pub(crate) async fn record_failure(
        &self,
        ctx: &RequestContext,
        user: &User,
        reserved: AttemptReservation,
        reason: &str,
    ) -> Result<()> {
        let now = self.now();
        let policy = self.auth.config.lockout;
        let mut tx = self.store.begin().await?;
        let creds = tx.lock_credentials(user.id).await?;
        let actor = Actor::system();
        let audit = Audit::new(now, Some(user.business_id), &actor, ctx);
        let mut events = vec![audit.event(
            "auth.sign_in_failed",
            user_target(user),
            None,
            Some(json!({ "reason": reason, "consecutive_failures": reserved.count })),
        )];
        if creds.failure_epoch != reserved.epoch {
            return self.commit(tx, events).await;
        }
        if reserved.count >= i64::from(policy.threshold) {
            let until = now + policy.duration;
            tx.lock_sign_in(user.id, until).await?;
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
                events.push(audit.event(
                    "user.locked",
                    user_target(user),
                    Some(json!({ "status": current.status })),
                    Some(json!({
                        "status": UserStatus::Locked,
                        "locked_until": until.unix_timestamp(),
                    })),
                ));
            }
        } else {
            let delay = policy.delay_after(reserved.count);
            if delay > time::Duration::ZERO {
                tx.throttle_sign_in(user.id, now + delay).await?;
            }
        }
        self.commit(tx, events).await
    }

    /// Ends every refusal state of the account: a lock (status back to `active`), failures
    /// counted and a delay. `None` if there was nothing to end; with `only_expired`, also
    /// when a lock has not run out yet (decided under the credentials row's lock, so a lock
    /// taken meanwhile stays).
    pub(crate) async fn unlock(
        &self,
        ctx: &RequestContext,
        actor: &Actor,
        user: &User,
        reason: &str,
        only_expired: bool,
    ) -> Result<Option<User>> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let creds = tx.lock_credentials(user.id).await?;
        let current = tx
            .get_user(user.business_id, user.id)
            .await?
            .ok_or(Error::UserNotFound)?;
        let before = json!({
            "status": current.status,
            "failed_count": creds.failed_count,
            "locked_until": creds.locked_until.map(OffsetDateTime::unix_timestamp),
            "throttled_until": creds.throttled_until.map(OffsetDateTime::unix_timestamp),
        });
        let after = match current.status {
            UserStatus::Locked => {
                if only_expired && creds.locked_until.is_some_and(|t| t > now) {
                    return Ok(None);
                }
                let after = User {
                    status: UserStatus::Active,
                    version: current.version + 1,
                    updated_at: now,
                    ..current.clone()
                };
                tx.update_user(&after, current.version).await?;
                after
            }
            UserStatus::Active if !only_expired && creds.failed_count > 0 => current,
            _ => return Ok(None),
        };
        tx.reset_sign_in_failures(user.id).await?;
        let audit = Audit::new(now, Some(user.business_id), actor, ctx);
        let event = audit.event(
            "user.unlocked",
            user_target(&after),
            Some(before),
            Some(json!({ "status": after.status, "failed_count": 0, "reason": reason })),
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
            .unlock(ctx, &Actor::system(), &user, "lock expired", true)
            .await
        {
            Ok(Some(u)) => Ok(u),
            // Someone else unlocked it first, or it was locked again: read what they left.
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
        // Kept while any limit may still need them: two fixed windows, or the time since an
        // address was last mailed its sign-in links.
        let policy = self.auth.config.rate_limit;
        let keep = (policy.window + policy.window).max(policy.sign_in_links_interval);
        self.store.prune_rate_limits(now - keep).await?;
        Ok(released)
    }
}
