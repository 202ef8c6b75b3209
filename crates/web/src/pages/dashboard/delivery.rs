//! How an invitation mail's delivery reads on the dashboard (the users table and a user's
//! page): a short label, and the detail that matters (the error, the next try).

use gatehouse_domain::mail::outbox::{DeliveryStatus, MailDelivery};

use super::user::when;

/// An invitation's delivery, ready for a template.
#[derive(Debug)]
pub(crate) struct DeliveryView {
    /// The badge's style: `mail-queued`, `mail-sending`, `mail-retrying`, `mail-sent`,
    /// `mail-failed`.
    pub(crate) class: String,
    pub(crate) label: &'static str,
    pub(crate) detail: String,
}

pub(crate) fn delivery_view(d: &MailDelivery) -> DeliveryView {
    let next = d.next_attempt_at.map(when).unwrap_or_default();
    let error = d.last_error.as_deref().unwrap_or("unknown error");
    let (label, detail) = match d.status {
        DeliveryStatus::Queued => (
            "Invitation queued",
            format!("Waiting to be sent (queued {}).", when(d.queued_at)),
        ),
        DeliveryStatus::Sending => ("Invitation sending", "Being sent now.".to_owned()),
        DeliveryStatus::Retrying => (
            "Invitation retrying",
            format!("Attempt {} failed: {error}. Next try {next}.", d.attempts),
        ),
        DeliveryStatus::Sent => (
            "Invitation sent",
            format!("Sent {}.", d.sent_at.map(when).unwrap_or_default()),
        ),
        DeliveryStatus::Failed => (
            "Invitation not delivered",
            format!(
                "Failed after {} attempts: {error}. Resend the invitation once mail works.",
                d.attempts
            ),
        ),
    };
    DeliveryView {
        class: format!("mail-{}", d.status.as_str()),
        label,
        detail,
    }
}
