//! A small SMTP server for tests: speaks enough SMTP (EHLO/HELO, MAIL, RCPT, DATA, RSET,
//! NOOP, QUIT) for lettre to deliver to it, and keeps what it receives so a test can wait
//! for a mail and read it (say, to follow the invitation link in it).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// One mail as received.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    /// The message (headers and body), dot-unstuffed, quoted-printable decoded.
    pub data: String,
}

impl ReceivedMail {
    /// The value of a header (the first one of that name).
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.data
            .lines()
            .take_while(|l| !l.is_empty())
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    }

    /// The first link in the mail starting with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let start = self.data.find(prefix)?;
        let rest = &self.data[start..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
            .unwrap_or(rest.len());
        Some(rest[..end].to_owned())
    }
}

/// The receiver; clones share the mailbox.
#[derive(Debug, Clone)]
pub struct SmtpReceiver {
    pub port: u16,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    arrived: Arc<Notify>,
    /// While set, every connection is turned away (`421`), as by a server that is down.
    down: Arc<AtomicBool>,
}

impl SmtpReceiver {
    /// Listens on 127.0.0.1, on a free port, until the runtime ends.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let receiver = Self {
            port: listener.local_addr()?.port(),
            mails: Arc::default(),
            arrived: Arc::default(),
            down: Arc::default(),
        };
        let r = receiver.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let r = r.clone();
                tokio::spawn(async move {
                    if let Err(e) = r.session(stream).await {
                        tracing::debug!(error = %e, "test SMTP session ended");
                    }
                });
            }
        });
        Ok(receiver)
    }

    async fn session(&self, stream: TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        if self.down.load(Ordering::SeqCst) {
            write
                .write_all(b"421 gatehouse-test unavailable, try again later\r\n")
                .await?;
            return Ok(());
        }
        let mut lines = BufReader::new(read);
        write.write_all(b"220 gatehouse-test ESMTP\r\n").await?;
        let (mut from, mut to) = (String::new(), Vec::new());
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_owned();
            let upper = command.to_ascii_uppercase();
            let reply: &[u8] = if upper.starts_with("EHLO") {
                b"250-gatehouse-test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
                b"250 OK\r\n"
            } else if upper.starts_with("MAIL FROM:") {
                from = address(&command);
                to.clear();
                b"250 OK\r\n"
            } else if upper.starts_with("RCPT TO:") {
                to.push(address(&command));
                b"250 OK\r\n"
            } else if upper.starts_with("RSET") {
                from.clear();
                to.clear();
                b"250 OK\r\n"
            } else if upper == "DATA" {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                self.keep(ReceivedMail {
                    from: from.clone(),
                    to: to.clone(),
                    data: unquote(&data),
                });
                b"250 OK queued\r\n"
            } else if upper.starts_with("QUIT") {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                b"502 not implemented\r\n"
            };
            write.write_all(reply).await?;
        }
    }

    fn keep(&self, mail: ReceivedMail) {
        self.mails
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(mail);
        self.arrived.notify_waiters();
    }

    /// Turns connections away (`true`) or serves them again (`false`).
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// Every mail received so far.
    pub fn mails(&self) -> Vec<ReceivedMail> {
        self.mails.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits (up to 10 s) until `count` mails to `to` whose subject contains `subject` have
    /// arrived, and returns the last of them; `None` on timeout.
    pub async fn wait_for(&self, to: &str, subject: &str, count: usize) -> Option<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.arrived.notified();
            let matching: Vec<ReceivedMail> = self
                .mails()
                .into_iter()
                .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
                .filter(|m| m.header("subject").is_some_and(|s| s.contains(subject)))
                .collect();
            if matching.len() >= count {
                return matching.last().cloned();
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }
}

/// Quoted-printable decoding, enough for reading bodies: soft line breaks joined, `=XX`
/// bytes restored.
fn unquote(data: &str) -> String {
    let joined = data.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The address inside `MAIL FROM:<a@b>` or `RCPT TO:<a@b>`.
fn address(command: &str) -> String {
    let inner = command
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map_or("", |(a, _)| a);
    inner.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SmtpConfig, SmtpMailer, TlsMode};
    use gatehouse_domain::mail::{Mail, MailMessage, Mailer};
    use gatehouse_domain::types::Email;

    #[tokio::test]
    async fn lettre_delivers_to_the_receiver() {
        let receiver = SmtpReceiver::start().await.unwrap();
        let mailer = SmtpMailer::new(SmtpConfig {
            host: "127.0.0.1".to_owned(),
            port: receiver.port,
            tls: TlsMode::None,
            username: None,
            password: None,
            from: "Gatehouse <gatehouse@example.com>".to_owned(),
        })
        .unwrap();
        let mail = Mail {
            to: Email::parse("dana@example.com").unwrap(),
            business: "Acme Corp".to_owned(),
            message: MailMessage::Invitation {
                link: "http://127.0.0.1:1/b/acme/invitation/TOKEN".to_owned(),
                expires_at: time::OffsetDateTime::UNIX_EPOCH,
            },
        };
        mailer.send(&mail).await.unwrap();
        let got = receiver
            .wait_for("dana@example.com", "invited", 1)
            .await
            .unwrap();
        assert_eq!(got.from, "gatehouse@example.com");
        assert_eq!(
            got.link("http://127.0.0.1:1/").as_deref(),
            Some("http://127.0.0.1:1/b/acme/invitation/TOKEN")
        );
        assert!(got.data.contains("text/html"));
    }
}
