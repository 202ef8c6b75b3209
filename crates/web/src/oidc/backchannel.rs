//! Delivering back-channel logout tokens over HTTP(S): a form POST of `logout_token`
//! (OIDC Back-Channel Logout 1.0 §2.5). Redirects are not followed; only a 2xx answer
//! counts as delivered.

use async_trait::async_trait;
use gatehouse_domain::oidc::backchannel::LogoutTransport;

/// The HTTP client that posts logout tokens.
#[derive(Debug, Clone)]
pub struct HttpLogoutTransport {
    client: reqwest::Client,
}

impl HttpLogoutTransport {
    pub fn new(timeout: std::time::Duration) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .user_agent(concat!("gatehouse/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { client })
    }
}

#[async_trait]
impl LogoutTransport for HttpLogoutTransport {
    async fn deliver(&self, uri: &str, logout_token: &str) -> Result<(), String> {
        let body = serde_urlencoded::to_string([("logout_token", logout_token)])
            .map_err(|e| e.to_string())?;
        let response = self
            .client
            .post(uri)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::CACHE_CONTROL, "no-store")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("POST failed: {e}"))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("the application answered {status}"))
        }
    }
}
