//! Delivery over SMTP with lettre (rustls for TLS).

use async_trait::async_trait;
use gatehouse_domain::mail::{Mail, Mailer};
use gatehouse_domain::{Error, Result};
use lettre::message::header::ContentTransferEncoding;
use lettre::message::{Body, Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::compose::compose;

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text: only for a server on the same machine, or tests.
    None,
    /// STARTTLS, required (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// Where and how to send.
#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The From address, e.g. `Gatehouse <gatehouse@example.com>`.
    pub from: String,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .finish()
    }
}

/// Sends through an SMTP server.
#[derive(Debug)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

fn failed(e: impl std::fmt::Display) -> Error {
    Error::MailDelivery(e.to_string())
}

impl SmtpMailer {
    pub fn new(config: SmtpConfig) -> std::result::Result<Self, String> {
        let tls = match config.tls {
            TlsMode::None => Tls::None,
            TlsMode::StartTls => {
                Tls::Required(TlsParameters::new(config.host.clone()).map_err(|e| e.to_string())?)
            }
            TlsMode::Tls => {
                Tls::Wrapper(TlsParameters::new(config.host.clone()).map_err(|e| e.to_string())?)
            }
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.clone())
                .port(config.port)
                .tls(tls);
        if let (Some(user), Some(password)) = (config.username, config.password) {
            builder = builder.credentials(Credentials::new(user, password));
        }
        let from = config
            .from
            .parse()
            .map_err(|e| format!("mail.from `{}`: {e}", config.from))?;
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }
}

/// The MIME message of a mail: plain text and HTML alternatives, quoted-printable.
pub(crate) fn message(from: &Mailbox, mail: &Mail) -> Result<Message> {
    let composed = compose(mail).map_err(failed)?;
    let part = |body: String, kind: ContentType| -> Result<SinglePart> {
        let body = Body::new_with_encoding(body, ContentTransferEncoding::QuotedPrintable)
            .map_err(|_| failed("a body cannot be encoded"))?;
        Ok(SinglePart::builder().header(kind).body(body))
    };
    let to: Mailbox = mail.to.as_str().parse().map_err(failed)?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(composed.subject)
        .multipart(
            MultiPart::alternative()
                .singlepart(part(composed.text, ContentType::TEXT_PLAIN)?)
                .singlepart(part(composed.html, ContentType::TEXT_HTML)?),
        )
        .map_err(failed)
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &Mail) -> Result<()> {
        let message = message(&self.from, mail)?;
        self.transport.send(message).await.map_err(failed)?;
        tracing::info!(kind = mail.message.kind(), "mail sent");
        Ok(())
    }
}
