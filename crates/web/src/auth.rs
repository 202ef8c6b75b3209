//! Who is calling: the `Authorization: Bearer` credential (operator token or API key), or
//! the session cookie of a signed-in user, becomes a [`Principal`]. A cookie-authenticated
//! request that changes state must also carry the session's CSRF token in `X-CSRF-Token`
//! and come from Gatehouse's own origin.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use gatehouse_domain::principal::Principal;
use gatehouse_domain::services::hash_secret;
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::error_codes as codes;
use crate::state::AppState;

/// The operator's credential, kept only as a SHA-256 hash.
#[derive(Clone)]
pub struct OperatorToken {
    hash: [u8; 32],
}

impl std::fmt::Debug for OperatorToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OperatorToken(<hash>)")
    }
}

/// Prefix of operator tokens, distinct from API keys' `gth_`.
pub const OPERATOR_TOKEN_PREFIX: &str = "gho_";

impl OperatorToken {
    pub fn from_hash(hash: [u8; 32]) -> Self {
        Self { hash }
    }

    pub fn from_token(token: &str) -> Self {
        Self {
            hash: hash_secret(token.as_bytes()),
        }
    }

    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    pub fn matches(&self, presented: &str) -> bool {
        bool::from(hash_secret(presented.as_bytes()).ct_eq(&self.hash))
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(header) = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return session_principal(parts, state).await;
        };
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or(gatehouse_domain::Error::Unauthenticated)?;
        if token.starts_with(OPERATOR_TOKEN_PREFIX) {
            return if state.operator.matches(token) {
                Ok(Principal::Operator)
            } else {
                Err(gatehouse_domain::Error::Unauthenticated.into())
            };
        }
        if token.split('.').count() == 3 {
            // A JWT: an application's client credentials access token.
            return Ok(state.gatehouse.authenticate_client_token(token).await?);
        }
        Ok(state.gatehouse.authenticate_api_key(token).await?)
    }
}

/// The principal of a fully signed-in session cookie. Half-signed-in sessions (second factor
/// or enrolment pending) are unauthenticated here, as everywhere but their own pages.
async fn session_principal(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let token = crate::browser::session_token(&parts.headers, state.config.cookie_secure)
        .ok_or(gatehouse_domain::Error::Unauthenticated)?;
    let session = state.gatehouse.authenticate_session(&token).await?;
    let principal = state.gatehouse.session_principal(&session).await?;
    if !parts.method.is_safe() {
        let presented = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let expected = crate::browser::session_csrf(&token);
        let origin_ok =
            crate::browser::same_origin(&parts.headers, &state.gatehouse.auth_config().public_url);
        if !origin_ok || !bool::from(expected.as_bytes().ct_eq(presented.as_bytes())) {
            return Err(ApiError::new(
                codes::CSRF_REJECTED,
                "a cookie-authenticated change needs the session's X-CSRF-Token and Gatehouse's own Origin",
            ));
        }
    }
    Ok(principal)
}
