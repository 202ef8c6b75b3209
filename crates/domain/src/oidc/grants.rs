//! What the OAuth flows keep: grants (one authorisation of an application by a user in a
//! browser session), their authorization codes and refresh tokens, and consents. A grant's
//! codes and refresh tokens are one family: a replayed code or a reused refresh token
//! revokes the grant, and with it every token it issued. Codes and refresh tokens are
//! stored as the SHA-256 of their secret only.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::auth::{Session, TokenHash};
use crate::error::Result;
use crate::ids::{ApplicationId, BusinessId, OAuthGrantId, SessionId, UserId};

/// One authorisation of an application by a user, in one browser session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthGrant {
    pub id: OAuthGrantId,
    pub business_id: BusinessId,
    pub application_id: ApplicationId,
    pub user_id: UserId,
    /// The browser session it came from: the grant ends with it.
    pub session_id: SessionId,
    /// The scopes granted, space-separated, in a canonical order.
    pub scope: String,
    pub nonce: Option<String>,
    /// When the user last proved who they are in that session.
    pub auth_time: OffsetDateTime,
    /// Whether that proof included a second factor.
    pub mfa: bool,
    /// Which one (`None` for grants from before it was recorded: a code).
    pub mfa_method: Option<crate::auth::MfaMethod>,
    pub created_at: OffsetDateTime,
    /// The end of its refresh tokens' life, whatever the activity.
    pub expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

/// An authorization code: single use, short-lived, bound to its redirect URI and PKCE
/// challenge (and through its grant to the client).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthCode {
    pub hash: TokenHash,
    pub grant_id: OAuthGrantId,
    pub redirect_uri: String,
    /// `BASE64URL(SHA-256(code_verifier))`: only S256 is accepted.
    pub code_challenge: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
}

/// A refresh token: rotated at every use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub hash: TokenHash,
    pub grant_id: OAuthGrantId,
    pub created_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
}

/// What marking a single-use secret used found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Use<T> {
    /// First use: it is now used.
    Fresh(T),
    /// It had been used before: a replay.
    Replayed(T),
    /// No such secret.
    Unknown,
}

/// Sessions that are ending, whose applications are owed a back-channel logout.
#[derive(Debug, Clone, Copy)]
pub enum EndingSessions<'a> {
    /// One session of a user, by id.
    One { user: UserId, id: SessionId },
    /// One session, by its token's hash.
    ByHash(&'a TokenHash),
    /// Every session of a user but `keep`.
    OfUser {
        user: UserId,
        keep: Option<SessionId>,
    },
}

/// A back-channel logout claimed for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedLogout {
    pub session_id: SessionId,
    pub application_id: ApplicationId,
    pub business_id: BusinessId,
    pub user_id: UserId,
    pub uri: String,
    /// This attempt's number (1 for the first); fences a sender whose lease ran out.
    pub attempt: i64,
}

/// How an attempt at a back-channel logout ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutOutcome {
    Delivered { at: OffsetDateTime },
    Retry { at: OffsetDateTime, error: String },
    Failed { at: OffsetDateTime, error: String },
}

/// Reads of the OAuth state, and the back-channel sender's bookkeeping.
#[async_trait]
pub trait OAuthReads: Send + Sync {
    async fn get_oauth_grant(&self, id: OAuthGrantId) -> Result<Option<OAuthGrant>>;
    /// The grant a refresh token belongs to, used or not.
    async fn find_refresh_token(&self, hash: &TokenHash) -> Result<Option<RefreshToken>>;
    /// The scopes the user consented to for the application, if any.
    async fn get_consent(&self, user: UserId, application: ApplicationId)
    -> Result<Option<String>>;
    /// A session by its id (not its token).
    async fn get_session_by_id(&self, id: SessionId) -> Result<Option<Session>>;
    /// Whether any grant was made in the session (it then owes logouts when it ends).
    async fn session_has_grants(&self, id: SessionId) -> Result<bool>;
    /// Sessions with grants that ended unnoticed: past their absolute end at `now`, or idle
    /// since before `idle_before`. At most `limit`.
    async fn ended_sessions_with_grants(
        &self,
        now: OffsetDateTime,
        idle_before: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Session>>;
    /// Claims up to `limit` due logouts (pending and due, or sending with a lapsed lease),
    /// leased until `lease_until`. Atomic: two senders never hold one row.
    async fn claim_logouts(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<ClaimedLogout>>;
    /// Records an attempt's outcome; `false` when the lease had been lost meanwhile.
    async fn finish_logout(&self, logout: &ClaimedLogout, outcome: LogoutOutcome) -> Result<bool>;
    /// Woken when a commit of this process queued logouts (`None`: poll only).
    fn logout_signal(&self) -> Option<std::sync::Arc<tokio::sync::Notify>> {
        None
    }
    /// Forgets delivered and failed logouts finished before `before`.
    async fn prune_logouts(&self, before: OffsetDateTime) -> Result<u64>;
}

/// Writes of the OAuth state, in a transaction.
#[async_trait]
pub trait OAuthWrites: Send {
    async fn insert_oauth_grant(&mut self, grant: &OAuthGrant) -> Result<()>;
    async fn get_oauth_grant(&mut self, id: OAuthGrantId) -> Result<Option<OAuthGrant>>;
    /// A session by its id, read in the transaction.
    async fn get_session_by_id(&mut self, id: SessionId) -> Result<Option<Session>>;
    /// Revokes the grant (and so every token of its family); `false` if it already was.
    async fn revoke_oauth_grant(
        &mut self,
        id: OAuthGrantId,
        at: OffsetDateTime,
        reason: &str,
    ) -> Result<bool>;
    async fn insert_oauth_code(&mut self, code: &AuthCode) -> Result<()>;
    /// Marks the code used, atomically: of two simultaneous uses one is `Fresh`, the other
    /// `Replayed`.
    async fn use_oauth_code(
        &mut self,
        hash: &TokenHash,
        at: OffsetDateTime,
    ) -> Result<Use<AuthCode>>;
    async fn insert_refresh_token(&mut self, token: &RefreshToken) -> Result<()>;
    /// Marks the refresh token used, atomically (as [`OAuthWrites::use_oauth_code`]).
    async fn use_refresh_token(
        &mut self,
        hash: &TokenHash,
        at: OffsetDateTime,
    ) -> Result<Use<RefreshToken>>;
    async fn put_consent(
        &mut self,
        user: UserId,
        application: ApplicationId,
        scope: &str,
        at: OffsetDateTime,
    ) -> Result<()>;
    /// Records activity on a session by id (a refresh keeps the session alive as a page
    /// view does).
    async fn touch_session_by_id(&mut self, id: SessionId, at: OffsetDateTime) -> Result<()>;
    /// Records the back-channel logouts owed by sessions about to end: one per session and
    /// application with a grant of it and a back-channel logout URI. Returns how many.
    async fn queue_backchannel_logouts(
        &mut self,
        business: BusinessId,
        ending: EndingSessions<'_>,
        at: OffsetDateTime,
    ) -> Result<u64>;
    /// Deletes grants that ended (expired, or revoked) before `before`, with their codes
    /// and refresh tokens; returns how many.
    async fn prune_oauth_grants(&mut self, before: OffsetDateTime) -> Result<u64>;
}
