//! The mail port: what Gatehouse tells users by email. The `gatehouse-mail` crate renders
//! and delivers (SMTP, or an outbox folder); tests receive over real SMTP. Mail is not sent
//! by the change that causes it but written to the [`outbox`] in its transaction, and
//! delivered from there.

pub mod outbox;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::Result;
use crate::types::Email;

/// One message to one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: Email,
    /// The business the account belongs to, by name (for the subject and greeting); empty
    /// for a mail about several (sign-in links).
    pub business: String,
    pub message: MailMessage,
}

/// What the mail says. Links carry single-use secrets: never log them except where the
/// operator asked for it (the outbox of a deployment without SMTP). Serialised (JSON) into
/// the mail outbox until delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MailMessage {
    Invitation {
        link: String,
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
    },
    PasswordReset {
        link: String,
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
        by_admin: bool,
    },
    PasswordChanged,
    MfaEnrolled,
    MfaReset,
    RecoveryCodeUsed {
        remaining: i64,
    },
    RecoveryCodesRegenerated,
    /// A passkey was added to the account (named by its user).
    PasskeyAdded {
        name: String,
    },
    PasskeyRemoved {
        name: String,
    },
    /// Where the address can sign in: one link per business where it has an account that
    /// can sign in (asked for on the landing page).
    SignInLinks {
        links: Vec<SignInLink>,
    },
    /// The weekly access-health digest to an administrator: the score, the first
    /// findings' titles, how many there are, and the report's address (not a secret).
    AccessHealthDigest {
        score: u32,
        findings: Vec<String>,
        total: u32,
        link: String,
    },
    /// An access review's notice: to a reviewer when it starts and before it is due (how
    /// many of their items wait), to administrators when it is overdue (how many wait in
    /// all). The link is the review's page (not a secret).
    AccessReview {
        notice: ReviewNotice,
        review: String,
        pending: u32,
        #[serde(with = "time::serde::rfc3339")]
        due_at: OffsetDateTime,
        link: String,
    },
    /// A webhook endpoint kept failing and was disabled (to its business's webhook
    /// administrators).
    WebhookDisabled {
        url: String,
        reason: String,
    },
}

/// Which notice of an access review a mail is; each goes to a person once per review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewNotice {
    /// To a reviewer, when the review starts.
    Assigned,
    /// To a reviewer with undecided items, shortly before the due date.
    Reminder,
    /// To an administrator, when the due date passed with items undecided.
    Overdue,
}

impl ReviewNotice {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewNotice::Assigned => "assigned",
            ReviewNotice::Reminder => "reminder",
            ReviewNotice::Overdue => "overdue",
        }
    }
}

/// A business's sign-in page, for a [`MailMessage::SignInLinks`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInLink {
    /// The business's name.
    pub business: String,
    /// Its sign-in page (not a secret: anyone may open it).
    pub link: String,
}

impl MailMessage {
    /// The kind of an invitation (the dashboard shows its delivery).
    pub const INVITATION_KIND: &'static str = "invitation";

    /// A stable name for logs and templates.
    pub fn kind(&self) -> &'static str {
        match self {
            MailMessage::Invitation { .. } => Self::INVITATION_KIND,
            MailMessage::PasswordReset { .. } => "password_reset",
            MailMessage::PasswordChanged => "password_changed",
            MailMessage::MfaEnrolled => "mfa_enrolled",
            MailMessage::MfaReset => "mfa_reset",
            MailMessage::RecoveryCodeUsed { .. } => "recovery_code_used",
            MailMessage::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            MailMessage::PasskeyAdded { .. } => "passkey_added",
            MailMessage::PasskeyRemoved { .. } => "passkey_removed",
            MailMessage::SignInLinks { .. } => "sign_in_links",
            MailMessage::AccessHealthDigest { .. } => "access_health_digest",
            MailMessage::AccessReview { .. } => "access_review",
            MailMessage::WebhookDisabled { .. } => "webhook_disabled",
        }
    }

    /// The single-use link the message carries, if any.
    pub fn link(&self) -> Option<&str> {
        match self {
            MailMessage::Invitation { link, .. } | MailMessage::PasswordReset { link, .. } => {
                Some(link)
            }
            _ => None,
        }
    }
}

/// Delivers mail.
#[async_trait]
pub trait Mailer: Send + Sync + std::fmt::Debug {
    async fn send(&self, mail: &Mail) -> Result<()>;
}

/// Drops mail, noting only that it would have been sent (the link is not logged). For
/// embedding Gatehouse without a mailer; the binary always configures one.
#[derive(Debug, Default, Clone, Copy)]
pub struct DiscardMailer;

#[async_trait]
impl Mailer for DiscardMailer {
    async fn send(&self, mail: &Mail) -> Result<()> {
        tracing::info!(
            kind = mail.message.kind(),
            "no mailer configured; mail dropped"
        );
        Ok(())
    }
}
