//! What authentication keeps: credentials, sessions and single-use tokens.

use serde::Serialize;
use time::OffsetDateTime;

use super::token::TokenHash;
use crate::ids::{BusinessId, SessionId, UserId};

/// How far a session has got through sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionStage {
    /// Signed in.
    Full,
    /// Password accepted; the second factor is still to come.
    Mfa,
    /// Password accepted; the MFA policy requires enrolling before anything else.
    Enrol,
}

impl SessionStage {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStage::Full => "full",
            SessionStage::Mfa => "mfa",
            SessionStage::Enrol => "enrol",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "full" => Some(SessionStage::Full),
            "mfa" => Some(SessionStage::Mfa),
            "enrol" => Some(SessionStage::Enrol),
            _ => None,
        }
    }
}

/// A browser session. Its token is the cookie; only the token's hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub token_hash: TokenHash,
    pub business_id: BusinessId,
    pub user_id: UserId,
    pub stage: SessionStage,
    pub created_at: OffsetDateTime,
    /// When the user last proved who they are in this session: the sign-in, or a step-up
    /// (a fresh password and second factor). Changes to the user's own second factor need
    /// it to be recent.
    pub authenticated_at: OffsetDateTime,
    /// When this session's sign-in passed a second factor (`None`: password only). What
    /// an application that requires MFA asks of the session it signs in from.
    pub mfa_at: Option<OffsetDateTime>,
    /// Which second factor that was.
    pub mfa_method: Option<super::MfaMethod>,
    pub last_seen_at: OffsetDateTime,
    /// The absolute end, whatever the activity.
    pub expires_at: OffsetDateTime,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// One sign-in attempt allowed to be evaluated: the failure count it reserved (the attempt
/// counts as a failure until it is known to be right) and the failure period it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptReservation {
    pub count: i64,
    pub epoch: i64,
}

/// A user's secrets and sign-in counters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    /// argon2id PHC string; `None` until set, or after an administrator's reset.
    pub password_hash: Option<String>,
    /// The TOTP secret, encrypted ([`super::SecretCipher`]).
    pub totp_secret: Option<String>,
    /// The last TOTP step accepted: that step and older ones are refused.
    pub totp_last_step: Option<i64>,
    /// Consecutive failed attempts (password or second factor).
    pub failed_count: i64,
    /// No attempt is evaluated before this time (the growing delay).
    pub throttled_until: Option<OffsetDateTime>,
    /// Locked until this time.
    pub locked_until: Option<OffsetDateTime>,
    /// The failure period: moves on at every reset, so a reservation taken before a reset
    /// can neither lock nor release anything after it.
    pub failure_epoch: i64,
}

impl Credentials {
    /// Until when no attempt is evaluated: the later of a delay and a lock, if any.
    pub fn held_until(&self) -> Option<OffsetDateTime> {
        self.throttled_until.max(self.locked_until)
    }
}

/// What a single-use token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Invitation,
    PasswordReset,
    /// The first-start setup link.
    Setup,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Invitation => "invitation",
            TokenKind::PasswordReset => "password_reset",
            TokenKind::Setup => "setup",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "invitation" => Some(TokenKind::Invitation),
            "password_reset" => Some(TokenKind::PasswordReset),
            "setup" => Some(TokenKind::Setup),
            _ => None,
        }
    }
}

/// A single-use token (invitation, password reset, setup).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthToken {
    pub hash: TokenHash,
    pub kind: TokenKind,
    /// `None` only for the setup token.
    pub business_id: Option<BusinessId>,
    pub user_id: Option<UserId>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

/// Why a token cannot be used, for the page that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Usable,
    Unknown,
    Expired,
    Used,
    Revoked,
}

impl AuthToken {
    pub fn state(&self, now: OffsetDateTime) -> TokenState {
        if self.used_at.is_some() {
            TokenState::Used
        } else if self.revoked_at.is_some() {
            TokenState::Revoked
        } else if now >= self.expires_at {
            TokenState::Expired
        } else {
            TokenState::Usable
        }
    }
}
