//! Configuration of accounts and authentication (`[auth]`) and of mail (`[mail]`), and what
//! the binary builds from it: the domain's `AuthConfig`, the TOTP encryption keys (from
//! configuration, or generated on first start into `<data_dir>/totp.key`, mode 0600) and
//! the mailer (SMTP, or the outbox folder `<data_dir>/outbox/` when no SMTP host is set).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use data_encoding::BASE64;
use gatehouse_domain::auth::{AuthConfig, OsEntropy, PasswordPolicy, SecretCipher};
use gatehouse_domain::mail::Mailer;
use gatehouse_domain::mail::outbox::DeliveryPolicy;
use gatehouse_domain::services::AuthSetup;
use gatehouse_mail::{MailConfig, SmtpConfig, TlsMode};
use serde::Deserialize;

use crate::config::Config;
use crate::secret::Secret;

/// The file holding the generated TOTP key (base64 of 32 bytes; key version 1).
pub const TOTP_KEY_FILE: &str = "totp.key";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    /// The address users reach Gatehouse at (links in mails); default `http://<listen>`.
    pub public_url: Option<String>,
    /// `Secure` cookies with the `__Host-` prefix. Turn off only for plain-HTTP development.
    pub cookie_secure: bool,
    pub password_min_chars: usize,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// Password hashes computed at once; 0: one per core.
    pub hash_concurrency: usize,
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    pub invitation_ttl_hours: i64,
    pub reset_ttl_minutes: i64,
    pub lockout_threshold: u32,
    pub lockout_minutes: i64,
    /// How recent a sign-in (or step-up) must be to change one's own second factor.
    pub step_up_window_minutes: i64,
    /// Per client address and minute.
    pub rate_limit_sign_in: u32,
    pub rate_limit_mfa: u32,
    pub rate_limit_password_reset: u32,
    /// "Where do I sign in?" requests from the landing page.
    pub rate_limit_sign_in_links: u32,
    /// At most one sign-in-links mail per email address in this time.
    pub sign_in_links_interval_minutes: i64,
    /// The TOTP encryption key (base64 of 32 bytes); without it one is generated into the
    /// data directory.
    pub totp_key: Option<Secret>,
    pub totp_key_version: u32,
    /// Earlier keys, still able to decrypt: `"<version>:<base64 key>"`.
    pub totp_previous_keys: Vec<Secret>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        let d = AuthConfig::default();
        Self {
            public_url: None,
            cookie_secure: true,
            password_min_chars: d.password.min_chars,
            argon2_memory_kib: d.argon2.memory_kib,
            argon2_iterations: d.argon2.iterations,
            argon2_parallelism: d.argon2.parallelism,
            hash_concurrency: 0,
            session_idle_minutes: d.session_idle.whole_minutes(),
            session_absolute_hours: d.session_absolute.whole_hours(),
            invitation_ttl_hours: d.invitation_ttl.whole_hours(),
            reset_ttl_minutes: d.reset_ttl.whole_minutes(),
            lockout_threshold: d.lockout.threshold,
            lockout_minutes: d.lockout.duration.whole_minutes(),
            step_up_window_minutes: d.step_up_window.whole_minutes(),
            rate_limit_sign_in: d.rate_limit.sign_in,
            rate_limit_mfa: d.rate_limit.mfa,
            rate_limit_password_reset: d.rate_limit.password_reset,
            rate_limit_sign_in_links: d.rate_limit.sign_in_links,
            sign_in_links_interval_minutes: d.rate_limit.sign_in_links_interval.whole_minutes(),
            totp_key: None,
            totp_key_version: 1,
            totp_previous_keys: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailSettings {
    /// The SMTP server; unset: mail goes to `<data_dir>/outbox/` and links are logged.
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    /// `starttls` (default, port 587), `tls` (port 465) or `none` (local relay only).
    pub smtp_tls: Option<String>,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<Secret>,
    /// The From address, e.g. `Gatehouse <gatehouse@example.com>`.
    pub from: Option<String>,
    /// Delivery attempts per mail before it is marked failed.
    pub max_attempts: Option<u32>,
    /// The wait after a first failed attempt; it doubles with each further one…
    pub retry_initial_seconds: Option<i64>,
    /// … up to this.
    pub retry_max_seconds: Option<i64>,
    /// How long a sender holds a mail it is delivering before another node may take it.
    pub lease_seconds: Option<i64>,
    /// How often the sender looks for due mail when nothing wakes it.
    pub poll_interval_ms: Option<u64>,
}

impl MailSettings {
    /// Retries, back-off and the lease of the mail sender.
    pub fn delivery(&self) -> anyhow::Result<DeliveryPolicy> {
        let d = DeliveryPolicy::default();
        let seconds = |name: &str, v: Option<i64>, default: time::Duration| match v {
            None => Ok(default),
            Some(s) if s > 0 => Ok(time::Duration::seconds(s)),
            Some(s) => bail!("mail.{name} must be positive, not {s}"),
        };
        let policy = DeliveryPolicy {
            max_attempts: match self.max_attempts {
                Some(0) => bail!("mail.max_attempts must be at least 1"),
                Some(n) => n,
                None => d.max_attempts,
            },
            retry_initial: seconds(
                "retry_initial_seconds",
                self.retry_initial_seconds,
                d.retry_initial,
            )?,
            retry_max: seconds("retry_max_seconds", self.retry_max_seconds, d.retry_max)?,
            lease: seconds("lease_seconds", self.lease_seconds, d.lease)?,
            poll_interval: match self.poll_interval_ms {
                Some(0) => bail!("mail.poll_interval_ms must be at least 1"),
                Some(ms) => std::time::Duration::from_millis(ms),
                None => d.poll_interval,
            },
            ..d
        };
        if policy.retry_max < policy.retry_initial {
            bail!("mail.retry_max_seconds must not be below mail.retry_initial_seconds");
        }
        Ok(policy)
    }
}

fn positive(name: &str, value: i64) -> anyhow::Result<()> {
    if value <= 0 {
        bail!("auth.{name} must be positive, not {value}");
    }
    Ok(())
}

impl AuthSettings {
    /// The domain's settings; `listen` gives the default public address.
    pub fn to_domain(&self, listen: &str) -> anyhow::Result<AuthConfig> {
        let d = AuthConfig::default();
        for (name, v) in [
            ("session_idle_minutes", self.session_idle_minutes),
            ("session_absolute_hours", self.session_absolute_hours),
            ("invitation_ttl_hours", self.invitation_ttl_hours),
            ("reset_ttl_minutes", self.reset_ttl_minutes),
            ("lockout_minutes", self.lockout_minutes),
            ("step_up_window_minutes", self.step_up_window_minutes),
            (
                "sign_in_links_interval_minutes",
                self.sign_in_links_interval_minutes,
            ),
        ] {
            positive(name, v)?;
        }
        if self.lockout_threshold == 0 {
            bail!("auth.lockout_threshold must be at least 1");
        }
        let mut config = AuthConfig {
            public_url: self
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{listen}")),
            password: PasswordPolicy::new(self.password_min_chars, d.password.max_chars),
            argon2: gatehouse_domain::auth::Argon2Params {
                memory_kib: self.argon2_memory_kib,
                iterations: self.argon2_iterations,
                parallelism: self.argon2_parallelism,
            },
            session_idle: time::Duration::minutes(self.session_idle_minutes),
            session_absolute: time::Duration::hours(self.session_absolute_hours),
            invitation_ttl: time::Duration::hours(self.invitation_ttl_hours),
            reset_ttl: time::Duration::minutes(self.reset_ttl_minutes),
            step_up_window: time::Duration::minutes(self.step_up_window_minutes),
            ..d
        };
        if self.hash_concurrency > 0 {
            config.hash_concurrency = self.hash_concurrency;
        }
        config.lockout.threshold = self.lockout_threshold;
        config.lockout.duration = time::Duration::minutes(self.lockout_minutes);
        config.rate_limit.sign_in = self.rate_limit_sign_in;
        config.rate_limit.mfa = self.rate_limit_mfa;
        config.rate_limit.password_reset = self.rate_limit_password_reset;
        config.rate_limit.sign_in_links = self.rate_limit_sign_in_links;
        config.rate_limit.sign_in_links_interval =
            time::Duration::minutes(self.sign_in_links_interval_minutes);
        Ok(config)
    }
}

fn key_bytes(what: &str, b64: &str) -> anyhow::Result<[u8; 32]> {
    BASE64
        .decode(b64.trim().as_bytes())
        .ok()
        .and_then(|k| k.try_into().ok())
        .with_context(|| format!("{what} must be the base64 of 32 bytes"))
}

/// The TOTP keys: configured, or read from (or generated into) the data directory.
fn cipher(config: &Config) -> anyhow::Result<SecretCipher> {
    let a = &config.auth;
    let mut previous = Vec::new();
    for entry in &a.totp_previous_keys {
        let (version, key) = entry
            .expose()
            .split_once(':')
            .context("auth.totp_previous_keys entries are \"<version>:<base64 key>\"")?;
        let version: u32 = version.parse().context("a TOTP key version is a number")?;
        previous.push((version, key_bytes("auth.totp_previous_keys", key)?));
    }
    let current = match &a.totp_key {
        Some(key) => key_bytes("auth.totp_key", key.expose())?,
        None => key_file(&config.data_dir)?,
    };
    Ok(SecretCipher::new((a.totp_key_version, current), &previous))
}

/// The generated key in `<data_dir>/totp.key`, made (mode 0600) on first start.
fn key_file(data_dir: &Path) -> anyhow::Result<[u8; 32]> {
    let path = data_dir.join(TOTP_KEY_FILE);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        return key_bytes(&path.display().to_string(), &text);
    }
    crate::operator::ensure_data_dir(data_dir)?;
    let key = gatehouse_domain::auth::entropy::random::<32>(&gatehouse_domain::auth::OsEntropy)
        .context("reading random bytes for the TOTP key")?;
    crate::operator::write_private(&path, format!("{}\n", BASE64.encode(&key)).as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(file = %path.display(), "generated the key that encrypts TOTP secrets; back it up with the database");
    Ok(key)
}

fn mailer(config: &Config) -> anyhow::Result<Arc<dyn Mailer>> {
    let m = &config.mail;
    let mail = match &m.smtp_host {
        None => MailConfig::Outbox(config.data_dir.join("outbox")),
        Some(host) => {
            let tls = match m.smtp_tls.as_deref().unwrap_or("starttls") {
                "starttls" => TlsMode::StartTls,
                "tls" => TlsMode::Tls,
                "none" => TlsMode::None,
                other => bail!("mail.smtp_tls must be starttls, tls or none, not `{other}`"),
            };
            let default_port = match tls {
                TlsMode::Tls => 465,
                TlsMode::StartTls => 587,
                TlsMode::None => 25,
            };
            MailConfig::Smtp(SmtpConfig {
                host: host.clone(),
                port: m.smtp_port.unwrap_or(default_port),
                tls,
                username: m.smtp_username.clone(),
                password: m.smtp_password.as_ref().map(|p| p.expose().to_owned()),
                from: m
                    .from
                    .clone()
                    .unwrap_or_else(|| "Gatehouse <gatehouse@localhost>".to_owned()),
            })
        }
    };
    gatehouse_mail::mailer(mail).map_err(anyhow::Error::msg)
}

/// Everything authentication needs, for a process whose users reach it at `listen`.
pub fn auth_setup(config: &Config, listen: &str) -> anyhow::Result<AuthSetup> {
    let mut auth = config.auth.to_domain(listen)?;
    auth.mail_delivery = config.mail.delivery()?;
    Ok(AuthSetup {
        config: auth,
        cipher: cipher(config)?,
        entropy: Arc::new(OsEntropy),
        mailer: mailer(config)?,
    })
}
