//! Gatehouse's mail: the domain's [`Mailer`] port over SMTP (lettre, rustls), or, with no SMTP
//! configured, an outbox folder in the data directory (each mail a `.eml` file, its link
//! logged) so the embedded default works out of the box. Bodies, plain text and HTML, come
//! from templates.
//!
//! With the `testing` feature, [`testing::SmtpReceiver`] is a small SMTP server for tests.

#![forbid(unsafe_code)]

mod compose;
mod outbox;
mod smtp;
#[cfg(feature = "testing")]
pub mod testing;

use std::path::PathBuf;
use std::sync::Arc;

use gatehouse_domain::mail::Mailer;

pub use compose::{Composed, compose};
pub use outbox::OutboxMailer;
pub use smtp::{SmtpConfig, SmtpMailer, TlsMode};

/// Where mail goes.
#[derive(Debug, Clone)]
pub enum MailConfig {
    Smtp(SmtpConfig),
    /// `.eml` files in this folder, links logged.
    Outbox(PathBuf),
}

/// The mailer for a configuration.
pub fn mailer(config: MailConfig) -> Result<Arc<dyn Mailer>, String> {
    Ok(match config {
        MailConfig::Smtp(smtp) => Arc::new(SmtpMailer::new(smtp)?),
        MailConfig::Outbox(dir) => Arc::new(OutboxMailer::new(dir)?),
    })
}
