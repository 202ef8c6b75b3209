//! Asking Gatehouse's decision API, as the application itself: a client credentials token
//! (kept until a minute before it expires) sent as `Authorization: Bearer` to
//! `POST /api/v1/authz/check`.

use std::time::{Duration, Instant};

use openidconnect::OAuth2TokenResponse;
use serde::Deserialize;
use serde_json::json;

use crate::AppState;

/// A token is renewed this long before it expires.
const MARGIN: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub(crate) struct CachedToken {
    token: String,
    renew_at: Instant,
}

/// Gatehouse's answer, as far as the page needs it.
#[derive(Debug, Deserialize)]
pub(crate) struct Decision {
    pub allowed: bool,
    pub reason: String,
}

/// The application's own access token, fetched again when the cached one is near its end.
async fn service_token(s: &AppState) -> Result<String, String> {
    let mut cached = s.0.service_token.lock().await;
    if let Some(t) = cached.as_ref().filter(|t| Instant::now() < t.renew_at) {
        return Ok(t.token.clone());
    }
    let (client, _) = s.provider().await?;
    let response = client
        .exchange_client_credentials()
        .map_err(|e| e.to_string())?
        .request_async(&s.0.http)
        .await
        .map_err(|e| format!("the client credentials grant failed: {e}"))?;
    let lifetime = response
        .expires_in()
        .unwrap_or(MARGIN)
        .saturating_sub(MARGIN);
    let token = response.access_token().secret().clone();
    *cached = Some(CachedToken {
        token: token.clone(),
        renew_at: Instant::now() + lifetime,
    });
    Ok(token)
}

/// May `user` use `permission` in the configured tenant, in `environment` (`live` or
/// `sandbox`)?
pub(crate) async fn check(
    s: &AppState,
    user: &str,
    permission: &str,
    environment: &str,
) -> Result<Decision, String> {
    let token = service_token(s).await?;
    let config = &s.0.config;
    let response =
        s.0.http
            .post(format!("{}/api/v1/authz/check", config.gatehouse_base()))
            .bearer_auth(token)
            .json(&json!({
                "user_id": user,
                "permission": permission,
                "tenant_id": config.tenant_id,
                "environment": environment,
            }))
            .send()
            .await
            .map_err(|e| format!("the decision API is unreachable: {e}"))?;
    if !response.status().is_success() {
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        return Err(format!("the decision API answered {status}: {body}"));
    }
    response
        .json()
        .await
        .map_err(|e| format!("the decision API's answer is unreadable: {e}"))
}
