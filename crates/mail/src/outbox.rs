//! No SMTP configured: each mail becomes a `.eml` file in the outbox folder and its link is
//! logged, so a local deployment can invite and reset without a mail server.

use std::path::PathBuf;

use async_trait::async_trait;
use gatehouse_domain::mail::{Mail, Mailer};
use gatehouse_domain::{Error, Result};
use lettre::message::Mailbox;

use crate::smtp::message;

/// Writes mail to a folder.
#[derive(Debug)]
pub struct OutboxMailer {
    dir: PathBuf,
    from: Mailbox,
}

impl OutboxMailer {
    pub fn new(dir: PathBuf) -> std::result::Result<Self, String> {
        let address = lettre::Address::new("gatehouse", "localhost").map_err(|e| e.to_string())?;
        Ok(Self {
            dir,
            from: Mailbox::new(Some("Gatehouse".to_owned()), address),
        })
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: &Mail) -> Result<()> {
        let io =
            |e: std::io::Error| Error::MailDelivery(format!("outbox {}: {e}", self.dir.display()));
        tokio::fs::create_dir_all(&self.dir).await.map_err(io)?;
        let name = format!(
            "{}-{}.eml",
            mail.message.kind(),
            uuid::Uuid::new_v4().simple()
        );
        let path = self.dir.join(name);
        let bytes = message(&self.from, mail)?.formatted();
        tokio::fs::write(&path, bytes).await.map_err(io)?;
        // The operator chose an outbox over SMTP: the link is for them to pass on.
        match mail.message.link() {
            Some(link) => {
                tracing::info!(to = %mail.to, kind = mail.message.kind(), %link, file = %path.display(), "mail written to the outbox")
            }
            None => {
                tracing::info!(to = %mail.to, kind = mail.message.kind(), file = %path.display(), "mail written to the outbox")
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_domain::mail::MailMessage;
    use gatehouse_domain::types::Email;

    #[tokio::test]
    async fn writes_an_eml_file() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = OutboxMailer::new(dir.path().join("outbox")).unwrap();
        let mail = Mail {
            to: Email::parse("dana@example.com").unwrap(),
            business: "Acme".to_owned(),
            message: MailMessage::PasswordChanged,
        };
        outbox.send(&mail).await.unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
            .unwrap()
            .collect();
        assert_eq!(files.len(), 1);
        let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
        assert!(text.contains("To: dana@example.com"));
        assert!(text.contains("Your password was just changed."));
    }
}
