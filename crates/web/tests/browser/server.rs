//! The server under test: a `TestServer` on a fresh SQLite database, a real HTTP server on
//! port 0, a real SMTP listener for its mail, and a test clock (TOTP codes are computed at
//! its time, and it steps forward so a code is never reused).

use std::ops::Deref;
use std::sync::Arc;

use gatehouse_domain::auth::totp;
use gatehouse_domain::{Clock, ManualClock, SystemClock};
use gatehouse_web::WebConfig;
use gatehouse_web::testing::TestServer;

pub use gatehouse_web::testing::OPERATOR_TOKEN as OPERATOR;

/// A [`TestServer`] (`srv.base`, `srv.gh`, `srv.clock`, `srv.mail`) with browser helpers.
pub struct Server(TestServer);

impl Deref for Server {
    type Target = TestServer;

    fn deref(&self) -> &TestServer {
        &self.0
    }
}

impl Server {
    pub async fn start() -> Self {
        Self::start_with(WebConfig::default()).await
    }

    /// A server with these HTTP settings (e.g. the operator's `business_tenants`).
    pub async fn start_with(web: WebConfig) -> Self {
        let server = TestServer::builder()
            .clock(Arc::new(ManualClock::new(SystemClock.now())))
            // `localhost`, not 127.0.0.1: Chromium keeps `Secure` (and `__Host-`) cookies of
            // plain-HTTP localhost, so the test runs with the production cookie settings.
            .host("localhost")
            .web(web)
            .start()
            .await
            .unwrap();
        Self(server)
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
