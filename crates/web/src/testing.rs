//! Test servers (feature `testing`, enabled only by this crate's tests and benches): a
//! Gatehouse node on a throwaway database, served by the real [`serve_with`] (its timeouts
//! and connection caps) on 127.0.0.1 port 0, reading a [`ManualClock`] and mailing a real
//! SMTP listener. The API tests, the browser tests and the benches all start theirs here.
//!
//! ```ignore
//! let server = TestServer::builder()
//!     .database(Arc::new(TestDatabase::postgres().await?))
//!     .auth(|c| c.lockout.throttle_after = 3)
//!     .start()
//!     .await?;
//! ```

use std::io;
use std::sync::Arc;

use gatehouse_domain::audit::RequestContext;
use gatehouse_domain::auth::{Argon2Params, AuthConfig, OsEntropy, SecretCipher};
use gatehouse_domain::catalog::Catalog;
use gatehouse_domain::oidc::backchannel::LogoutPolicy;
use gatehouse_domain::services::{AuthSetup, NewSession};
use gatehouse_domain::webhooks::{WebhookConfig, WebhookPolicy};
use gatehouse_domain::{Clock, Gatehouse, ManualClock, SystemClock};
use gatehouse_mail::{SmtpConfig, SmtpMailer, TlsMode};
use time::OffsetDateTime;
use time::macros::datetime;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use gatehouse_mail::testing::SmtpReceiver;
pub use gatehouse_store::testing::TestDatabase;

use crate::{AppState, OperatorToken, WebConfig, app, serve_with};

/// The operator token of every test server.
pub const OPERATOR_TOKEN: &str = "gho_test-operator-token";

/// Where a test server's clock starts unless it is given one.
pub const START: OffsetDateTime = datetime!(2026-11-29 09:00 UTC);

type AuthTweak = Box<dyn FnOnce(&mut AuthConfig) + Send>;

/// What [`TestServer::builder`] starts: each part defaults to a fresh one of its own.
pub struct TestServerBuilder {
    database: Option<Arc<TestDatabase>>,
    clock: Option<Arc<ManualClock>>,
    mail: Option<SmtpReceiver>,
    host: &'static str,
    auth: Vec<AuthTweak>,
    web: WebConfig,
    webhooks: WebhookPolicy,
}

impl std::fmt::Debug for TestServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServerBuilder")
            .field("database", &self.database)
            .field("clock", &self.clock)
            .field("host", &self.host)
            .field("auth_tweaks", &self.auth.len())
            .field("web", &self.web)
            .finish_non_exhaustive()
    }
}

/// A running node and its handles. Dropping it leaves the server running until the test's
/// runtime ends (other handles, e.g. a second node's, may still use it); [`Self::shutdown`]
/// stops it.
#[derive(Debug)]
pub struct TestServer {
    /// `http://127.0.0.1:<port>` (or the builder's [`host`](TestServerBuilder::host)), also
    /// the node's public URL, so mailed links point at it.
    pub base: String,
    /// `http://127.0.0.1:<port>/metrics`: the node's metrics listener, as `metrics.listen`
    /// serves it.
    pub metrics: String,
    /// The node's core, for what has no route (or for setting up without HTTP).
    pub gh: Gatehouse,
    pub clock: Arc<ManualClock>,
    /// Receives every mail the node sends, over real SMTP.
    pub mail: SmtpReceiver,
    /// The database (held so it outlives the test).
    pub db: Arc<TestDatabase>,
    stop: watch::Sender<bool>,
    served: JoinHandle<io::Result<()>>,
}

impl TestServer {
    pub fn builder() -> TestServerBuilder {
        TestServerBuilder {
            database: None,
            clock: None,
            mail: None,
            host: "127.0.0.1",
            auth: Vec::new(),
            web: WebConfig::default(),
            webhooks: WebhookPolicy {
                max_attempts: 6,
                retry_initial: time::Duration::milliseconds(200),
                retry_max: time::Duration::seconds(2),
                poll_interval: std::time::Duration::from_millis(100),
                ..WebhookPolicy::default()
            },
        }
    }

    /// Stops accepting, lets in-flight requests finish and stops the mail sender.
    pub async fn shutdown(self) -> io::Result<()> {
        self.stop.send_replace(true);
        self.served.await.map_err(io::Error::other)?
    }

    /// Accepts the invitation mailed to `to`, as its recipient would (through the mail's
    /// link: business and token), setting `password`; the new session.
    pub async fn accept_invitation(&self, to: &str, password: &str) -> Result<NewSession, String> {
        let mail = self
            .mail
            .wait_for(to, "invited", 1)
            .await
            .ok_or_else(|| format!("no invitation mailed to {to}"))?;
        let link = mail
            .link(&self.base)
            .ok_or_else(|| format!("the invitation to {to} has no link"))?;
        let mut parts = link[self.base.len()..].split('/').skip(1);
        let (Some("b"), Some(slug)) = (parts.next(), parts.next()) else {
            return Err(format!("not a business link: {link}"));
        };
        let token = link.rsplit('/').next().unwrap_or_default();
        self.gh
            .accept_invitation(&RequestContext::default(), slug, token, password)
            .await
            .map_err(|e| e.to_string())
    }
}

impl TestServerBuilder {
    /// Serve this database (e.g. PostgreSQL, or one another node serves); SQLite otherwise.
    pub fn database(mut self, database: Arc<TestDatabase>) -> Self {
        self.database = Some(database);
        self
    }

    /// Read this clock (e.g. another node's); a new one at [`START`] otherwise.
    pub fn clock(mut self, clock: Arc<ManualClock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// A clock at the present moment that moves on a microsecond with every reading, as a
    /// real one moves on (for benches, which measure the service as it runs).
    pub fn wall_clock(self) -> Self {
        let clock = ManualClock::new(SystemClock.now());
        clock.set_tick(time::Duration::microseconds(1));
        self.clock(Arc::new(clock))
    }

    /// Mail to this receiver (e.g. another node's); a new one otherwise.
    pub fn mail(mut self, mail: SmtpReceiver) -> Self {
        self.mail = Some(mail);
        self
    }

    /// The host name in the base URL (the server listens on 127.0.0.1 whatever it is).
    pub fn host(mut self, host: &'static str) -> Self {
        self.host = host;
        self
    }

    /// Adjusts the authentication settings. The test defaults: cheap argon2 (what is under
    /// test is not the hash), generous rate limits and no growing delay, so tests meet only
    /// what they test.
    pub fn auth(mut self, tweak: impl FnOnce(&mut AuthConfig) + Send + 'static) -> Self {
        self.auth.push(Box::new(tweak));
        self
    }

    /// HTTP settings (trusted proxies, connection limits, …), served with them.
    pub fn web(mut self, web: WebConfig) -> Self {
        self.web = web;
        self
    }

    /// How the webhook sender retries and when it disables an endpoint (by default quickly:
    /// 200 ms doubling to 2 s of the test clock, disabled after 6 failures). Endpoints on
    /// 127.0.0.1 over plain HTTP are allowed, for local receivers.
    pub fn webhooks(mut self, policy: WebhookPolicy) -> Self {
        self.webhooks = policy;
        self
    }

    pub async fn start(self) -> Result<TestServer, String> {
        let text = |e: io::Error| e.to_string();
        let db = match self.database {
            Some(db) => db,
            None => Arc::new(TestDatabase::sqlite().await?),
        };
        let clock = self
            .clock
            .unwrap_or_else(|| Arc::new(ManualClock::new(START)));
        let mail = match self.mail {
            Some(mail) => mail,
            None => SmtpReceiver::start().await.map_err(text)?,
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(text)?;
        let port = listener.local_addr().map_err(text)?.port();
        let base = format!("http://{}:{port}", self.host);
        let mut config = auth_config(&base);
        for tweak in self.auth {
            tweak(&mut config);
        }
        let mailer = SmtpMailer::new(SmtpConfig {
            host: "127.0.0.1".to_owned(),
            port: mail.port,
            tls: TlsMode::None,
            username: None,
            password: None,
            from: "Gatehouse <gatehouse@example.com>".to_owned(),
        })?;
        let gh = Gatehouse::new(
            db.store.clone(),
            clock.clone(),
            Arc::new(Catalog::default()),
        )
        .with_auth(AuthSetup {
            config,
            cipher: SecretCipher::new((1, [9; 32]), &[]),
            entropy: Arc::new(OsEntropy),
            mailer: Arc::new(mailer),
        })
        .map_err(|e| e.to_string())?
        .with_webhooks(WebhookConfig {
            allow_private_addresses: true,
            allow_http: true,
        });
        let (stop, stopped) = watch::channel(false);
        // Each node delivers queued mail, as `gatehouse serve` does.
        let sender = gh.clone();
        let until = stopped.clone();
        tokio::spawn(async move { sender.run_mail_sender(stop_signal(until)).await });
        // The OpenID Provider's signing keys (made on the first start), and the sender of
        // back-channel logouts, retrying quickly.
        gh.load_signing_keys().await.map_err(|e| e.to_string())?;
        let transport = crate::oidc::HttpLogoutTransport::new(std::time::Duration::from_secs(5))?;
        let policy = LogoutPolicy {
            retry_initial: time::Duration::milliseconds(200),
            poll_interval: std::time::Duration::from_millis(100),
            ..LogoutPolicy::default()
        };
        let sender = gh.clone();
        let until = stopped.clone();
        tokio::spawn(async move {
            sender
                .run_logout_sender(&transport, policy, stop_signal(until))
                .await;
        });
        let transport =
            crate::webhooks::HttpWebhookTransport::new(self.webhooks.timeout, gh.webhook_config());
        let (sender, until, policy) = (gh.clone(), stopped.clone(), self.webhooks);
        tokio::spawn(async move {
            sender
                .run_webhook_sender(&transport, policy, stop_signal(until))
                .await;
        });
        let state = AppState::new(
            gh.clone(),
            OperatorToken::from_token(OPERATOR_TOKEN),
            self.web.clone(),
        );
        let metrics_listener = TcpListener::bind("127.0.0.1:0").await.map_err(text)?;
        let metrics = format!(
            "http://127.0.0.1:{}/metrics",
            metrics_listener.local_addr().map_err(text)?.port()
        );
        let (metrics_app, until) = (crate::metrics_app(state.clone()), stopped.clone());
        tokio::spawn(crate::serve(
            metrics_listener,
            metrics_app,
            stop_signal(until),
        ));
        let web = self.web;
        let served = tokio::spawn(async move {
            serve_with(listener, app(state), &web, stop_signal(stopped)).await
        });
        Ok(TestServer {
            base,
            metrics,
            gh,
            clock,
            mail,
            db,
            stop,
            served,
        })
    }
}

/// Completes on [`TestServer::shutdown`]; never once the server's handle is dropped.
async fn stop_signal(mut stopped: watch::Receiver<bool>) {
    if stopped.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The test defaults described at [`TestServerBuilder::auth`].
fn auth_config(base: &str) -> AuthConfig {
    let mut config = AuthConfig {
        public_url: base.to_owned(),
        argon2: Argon2Params {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
        },
        ..AuthConfig::default()
    };
    config.rate_limit.sign_in = 10_000;
    config.rate_limit.mfa = 10_000;
    config.rate_limit.password_reset = 10_000;
    config.lockout.throttle_after = 1_000;
    config
}
