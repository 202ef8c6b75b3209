//! The server under test: a fresh SQLite database, a real HTTP server on 127.0.0.1 port 0,
//! a real SMTP listener for its mail, and a test clock (TOTP codes are computed at its time,
//! and it steps forward so a code is never reused).

use std::sync::Arc;

use gatehouse_domain::auth::{Argon2Params, AuthConfig, OsEntropy, SecretCipher, totp};
use gatehouse_domain::catalog::Catalog;
use gatehouse_domain::services::AuthSetup;
use gatehouse_domain::{Clock, Gatehouse, ManualClock, SystemClock};
use gatehouse_mail::testing::SmtpReceiver;
use gatehouse_mail::{SmtpConfig, SmtpMailer, TlsMode};
use gatehouse_store::testing::TestDatabase;
use gatehouse_web::{AppState, OperatorToken, WebConfig};

pub const OPERATOR: &str = "gho_browser-test-operator";

pub struct Server {
    pub base: String,
    pub gh: Gatehouse,
    pub clock: Arc<ManualClock>,
    pub mail: SmtpReceiver,
    _db: TestDatabase,
}

impl Server {
    pub async fn start() -> Self {
        Self::start_with(WebConfig::default()).await
    }

    /// A server with these HTTP settings (e.g. the operator's `business_tenants`).
    pub async fn start_with(web: WebConfig) -> Self {
        let db = TestDatabase::sqlite().await.unwrap();
        let clock = Arc::new(ManualClock::new(SystemClock.now()));
        let mail = SmtpReceiver::start().await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        // `localhost`, not 127.0.0.1: Chromium keeps `Secure` (and `__Host-`) cookies of
        // plain-HTTP localhost, so the test runs with the production cookie settings.
        let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
        let mut config = AuthConfig {
            public_url: base.clone(),
            // Cheap hashing: the browser is what is under test here.
            argon2: Argon2Params {
                memory_kib: 256,
                iterations: 1,
                parallelism: 1,
            },
            ..AuthConfig::default()
        };
        config.rate_limit.sign_in = 1_000;
        config.rate_limit.mfa = 1_000;
        let mailer = SmtpMailer::new(SmtpConfig {
            host: "127.0.0.1".to_owned(),
            port: mail.port,
            tls: TlsMode::None,
            username: None,
            password: None,
            from: "Gatehouse <gatehouse@example.com>".to_owned(),
        })
        .unwrap();
        let gh = Gatehouse::new(
            db.store.clone(),
            clock.clone(),
            Arc::new(Catalog::default()),
        )
        .with_auth(AuthSetup {
            config,
            cipher: SecretCipher::new((1, [7; 32]), &[]),
            entropy: Arc::new(OsEntropy),
            mailer: Arc::new(mailer),
        })
        .unwrap();
        let sender = gh.clone();
        tokio::spawn(async move { sender.run_mail_sender(std::future::pending()).await });
        let state = AppState::new(gh.clone(), OperatorToken::from_token(OPERATOR), web);
        tokio::spawn(gatehouse_web::serve(
            listener,
            gatehouse_web::app(state),
            std::future::pending(),
        ));
        Self {
            base,
            gh,
            clock,
            mail,
            _db: db,
        }
    }

    /// The TOTP code for a base32 secret as shown on the enrolment page, one step after the
    /// last code used (the clock moves on, so no code is ever a replay).
    pub fn next_totp(&self, secret_base32: &str) -> String {
        self.clock.advance(time::Duration::seconds(30));
        let secret = data_encoding::BASE32_NOPAD
            .decode(secret_base32.trim().as_bytes())
            .expect("the page shows a base32 secret");
        totp::code_at(&secret, totp::step_at(self.clock.now()))
    }

    /// The path of the first link in mail #`n` to `to` whose subject has `subject`.
    pub async fn mailed_link(&self, to: &str, subject: &str, n: usize) -> String {
        let mail = self
            .mail
            .wait_for(to, subject, n)
            .await
            .unwrap_or_else(|| panic!("no mail `{subject}` to {to}"));
        let link = mail.link(&self.base).expect("the mail has a link");
        link[self.base.len()..].to_owned()
    }

    /// An operator API call (what the CLI would do).
    pub async fn operator(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let res = reqwest::Client::new()
            .post(format!(
                "{}{path}",
                self.base.replace("localhost", "127.0.0.1")
            ))
            .bearer_auth(OPERATOR)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.unwrap()
    }
}
