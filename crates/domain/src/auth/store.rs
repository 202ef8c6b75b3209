//! The storage authentication needs, as two traits the `Store` and `StoreTx` also are.
//! Reads, and the few writes that are bookkeeping rather than changes (a session's
//! last-seen time, rate-limit counters, reserving a sign-in attempt), go through
//! [`AuthReads`]; everything audited goes through [`AuthWrites`] inside a transaction.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::model::{AttemptReservation, AuthToken, Credentials, Session, TokenKind};
use super::token::TokenHash;
use crate::error::Result;
use crate::ids::{BusinessId, SessionId, UserId};
use crate::model::{Business, User};
use crate::types::{Email, Slug};

#[async_trait]
pub trait AuthReads: Send + Sync {
    async fn get_business_by_slug(&self, slug: &Slug) -> Result<Option<Business>>;
    async fn get_user_by_email(&self, business: BusinessId, email: &Email) -> Result<Option<User>>;
    /// Every account with this email, in any business and state (the operator's view: for
    /// mailing a person their own sign-in links, never shown to a business).
    async fn list_accounts_with_email(&self, email: &Email) -> Result<Vec<(BusinessId, UserId)>>;
    async fn get_credentials(&self, user: UserId) -> Result<Option<Credentials>>;
    async fn get_session(&self, hash: &TokenHash) -> Result<Option<Session>>;
    /// The user's sessions, newest first.
    async fn list_sessions(&self, business: BusinessId, user: UserId) -> Result<Vec<Session>>;
    /// Records activity on a session (the idle timeout counts from here).
    async fn touch_session(&self, hash: &TokenHash, at: OffsetDateTime) -> Result<()>;
    /// Removes a session found expired. Not audited: it had already ended.
    async fn delete_expired_session(&self, hash: &TokenHash) -> Result<()>;
    async fn get_auth_token(&self, hash: &TokenHash) -> Result<Option<AuthToken>>;
    /// Counts one more failure-in-waiting for the account, atomically, unless it is throttled
    /// (`throttled_until` after `now`), locked, or already at `threshold`: returns the new
    /// count and the failure period it belongs to, or `None` when no attempt may be evaluated
    /// now. A success resets the count (and starts a new period).
    async fn reserve_sign_in_attempt(
        &self,
        user: UserId,
        now: OffsetDateTime,
        threshold: i64,
    ) -> Result<Option<AttemptReservation>>;
    /// Gives back a reservation whose secret was right but that does not end the sign-in
    /// (a correct password before the second factor): it is not a failure. Does nothing when
    /// the period has ended since.
    async fn release_sign_in_attempt(&self, user: UserId, epoch: i64) -> Result<()>;
    /// Counts a hit on `bucket` in the fixed window starting at `window_start`; returns the
    /// hits in that window so far, this one included.
    async fn hit_rate_limit(&self, bucket: &str, window_start: OffsetDateTime) -> Result<i64>;
    /// Takes `bucket`'s one use per interval: records `now` and returns `true` when it was
    /// last used at or before `since` (or never), else `false` — atomically, so of simultaneous
    /// takers on any node one wins.
    async fn claim_rate_limit(
        &self,
        bucket: &str,
        now: OffsetDateTime,
        since: OffsetDateTime,
    ) -> Result<bool>;
    /// Forgets rate-limit windows that started before `before`.
    async fn prune_rate_limits(&self, before: OffsetDateTime) -> Result<u64>;
    /// Users whose lock ran out before `now`, by business.
    async fn list_expired_locks(&self, now: OffsetDateTime) -> Result<Vec<(BusinessId, UserId)>>;
}

#[async_trait]
pub trait AuthWrites: Send {
    async fn get_credentials(&mut self, user: UserId) -> Result<Option<Credentials>>;
    /// The user's credentials row, created if missing and locked for the rest of the
    /// transaction: every change to the sign-in counters and lock starts here, so they are
    /// decided one at a time per account.
    async fn lock_credentials(&mut self, user: UserId) -> Result<Credentials>;
    /// Sets (or with `None` clears) the password.
    async fn set_password_hash(&mut self, user: UserId, hash: Option<&str>) -> Result<()>;
    /// Clears failures, delays and the lock, and starts a new failure period.
    async fn reset_sign_in_failures(&mut self, user: UserId) -> Result<()>;
    /// No attempt before `until`: extends the delay, never shortens it.
    async fn throttle_sign_in(&mut self, user: UserId, until: OffsetDateTime) -> Result<()>;
    /// Locked until `until`: extends the lock, never shortens or clears it.
    async fn lock_sign_in(&mut self, user: UserId, until: OffsetDateTime) -> Result<()>;
    /// Sets or clears the encrypted TOTP secret and the last accepted step.
    async fn set_totp(
        &mut self,
        user: UserId,
        secret: Option<&str>,
        last_step: Option<i64>,
    ) -> Result<()>;
    /// Records `step` as used if it is newer than the last one; `false` if it is not (a
    /// replay, possibly concurrent).
    async fn use_totp_step(&mut self, user: UserId, step: i64) -> Result<bool>;
    async fn replace_recovery_codes(
        &mut self,
        user: UserId,
        hashes: &[TokenHash],
        at: OffsetDateTime,
    ) -> Result<()>;
    /// Deletes the matching unused code; `false` when there is none.
    async fn use_recovery_code(&mut self, user: UserId, hash: &TokenHash) -> Result<bool>;
    async fn count_recovery_codes(&mut self, user: UserId) -> Result<i64>;

    async fn insert_session(&mut self, session: &Session) -> Result<()>;
    /// Deletes one of the user's sessions by id; `false` if it was not theirs or is gone.
    async fn delete_session(
        &mut self,
        business: BusinessId,
        user: UserId,
        id: SessionId,
    ) -> Result<bool>;
    /// Records a fresh proof of identity (a step-up) on the session.
    async fn set_session_authenticated(
        &mut self,
        hash: &TokenHash,
        at: OffsetDateTime,
    ) -> Result<()>;
    async fn delete_session_by_hash(&mut self, hash: &TokenHash) -> Result<bool>;
    /// Deletes every session of the user except `keep`; returns how many.
    async fn delete_user_sessions(
        &mut self,
        business: BusinessId,
        user: UserId,
        keep: Option<SessionId>,
    ) -> Result<u64>;

    async fn insert_auth_token(&mut self, token: &AuthToken) -> Result<()>;
    /// Several tokens at once (a bulk import's invitations).
    async fn insert_auth_tokens(&mut self, tokens: &[AuthToken]) -> Result<()> {
        for t in tokens {
            self.insert_auth_token(t).await?;
        }
        Ok(())
    }
    /// Marks the token used if it is of `kind`, unused, unrevoked and unexpired at `now`;
    /// returns it, or `None`. Atomic: two requests cannot both use one token.
    async fn consume_auth_token(
        &mut self,
        hash: &TokenHash,
        kind: TokenKind,
        now: OffsetDateTime,
    ) -> Result<Option<AuthToken>>;
    /// Revokes the unused tokens of `kind` of a user (`None`: tokens without a user, the
    /// setup link); returns how many.
    async fn revoke_auth_tokens(
        &mut self,
        user: Option<UserId>,
        kind: TokenKind,
        now: OffsetDateTime,
    ) -> Result<u64>;

    /// Takes the business's write lock for the rest of the transaction: changes that must
    /// keep a rule over the whole business (it never loses its last administrator) take it
    /// before they read, so two of them are decided one after the other, never both against
    /// the state before either.
    async fn lock_business(&mut self, business: BusinessId) -> Result<()>;
    /// Active users of the business whose groups grant every one of `permissions`
    /// (business-scope keys), leaving out `except`.
    async fn count_active_holders(
        &mut self,
        business: BusinessId,
        permissions: &[&str],
        except: Option<UserId>,
    ) -> Result<i64>;
    /// Whether any business exists (first start has none).
    async fn any_business(&mut self) -> Result<bool>;
}
