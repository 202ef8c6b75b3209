//! Chromium's virtual authenticator through the WebDriver WebAuthn extension
//! (<https://www.w3.org/TR/webauthn-2/#sctn-automation>): a platform authenticator with
//! resident keys and user verification, answering `navigator.credentials` as a phone or a
//! laptop's fingerprint reader would, with the user present and verified.

use axum::http::Method;
use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{Value, json};

use crate::driver::Browser;

/// One extension command: a method, a path under the session, a body.
#[derive(Debug)]
struct Command {
    method: Method,
    path: String,
    body: Option<Value>,
}

impl WebDriverCompatibleCommand for Command {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/webauthn/{}", self.path))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        (
            self.method.clone(),
            self.body.as_ref().map(Value::to_string),
        )
    }
}

/// A virtual authenticator attached to one browser.
pub struct Authenticator<'a> {
    browser: &'a Browser,
    id: String,
}

impl<'a> Authenticator<'a> {
    /// Adds an internal (platform) CTAP2 authenticator with resident keys and user
    /// verification, the user verified and present.
    pub async fn add(browser: &'a Browser) -> Self {
        let created = browser
            .client
            .issue_cmd(Command {
                method: Method::POST,
                path: "authenticator".to_owned(),
                body: Some(json!({
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": true,
                    "hasUserVerification": true,
                    "isUserVerified": true,
                    "automaticPresenceSimulation": true,
                })),
            })
            .await
            .expect("chromedriver adds a virtual authenticator");
        let id = created
            .as_str()
            .or_else(|| created["authenticatorId"].as_str())
            .unwrap_or_else(|| panic!("no authenticator id in {created}"))
            .to_owned();
        Self { browser, id }
    }

    /// Whether it verifies the user (a PIN or a fingerprint) from now on.
    pub async fn set_user_verified(&self, verified: bool) {
        self.browser
            .client
            .issue_cmd(Command {
                method: Method::POST,
                path: format!("authenticator/{}/uv", self.id),
                body: Some(json!({ "isUserVerified": verified })),
            })
            .await
            .unwrap();
    }

    /// The credentials it holds.
    pub async fn credentials(&self) -> Vec<Value> {
        let listed = self
            .browser
            .client
            .issue_cmd(Command {
                method: Method::GET,
                path: format!("authenticator/{}/credentials", self.id),
                body: None,
            })
            .await
            .unwrap();
        listed.as_array().cloned().unwrap_or_default()
    }
}
