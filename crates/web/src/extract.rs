//! Extractors that turn every kind of bad input into a clear 4xx in the API's error shape.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use gatehouse_domain::audit::RequestContext;
use gatehouse_domain::services::Precondition;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::error_codes as codes;
use crate::state::AppState;

mod json_body;

pub use json_body::{Json, OptionalJson, RawBody};

/// The innermost error message (serde's, without axum's wrapper text).
fn source_message(e: &dyn std::error::Error) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// Query parameters; a bad one is a 400 `invalid_query`, and so is a value with a control
/// character: no name, email, id or key has one (and PostgreSQL text cannot hold NUL).
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let pairs = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|e| ApiError::new(codes::INVALID_QUERY, source_message(&e)))?;
        if let Some((name, _)) = pairs
            .0
            .iter()
            .find(|(_, v)| v.chars().any(char::is_control))
        {
            return Err(ApiError::new(
                codes::INVALID_QUERY,
                format!("{name}: must not contain control characters"),
            ));
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e: QueryRejection| ApiError::new(codes::INVALID_QUERY, source_message(&e)))
    }
}

/// Path parameters; a malformed id is a 400 `invalid_path`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e: PathRejection| ApiError::new(codes::INVALID_PATH, source_message(&e)))
    }
}

/// Request id, client address and user agent, for the audit trail and the per-address rate
/// limits. The address is the socket peer's, or the one a trusted proxy forwarded.
#[derive(Debug, Clone)]
pub struct Ctx(pub RequestContext);

impl FromRequestParts<AppState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(512).collect::<String>())
        };
        let client_ip = parts
            .extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|c| {
                let config = &state.config;
                config
                    .trusted_proxies
                    .client_ip(c.0.ip(), &parts.headers, config.forwarded_header)
                    .to_string()
            });
        Ok(Ctx(RequestContext {
            request_id: header("x-request-id"),
            client_ip,
            user_agent: header("user-agent"),
        }))
    }
}

/// The `If-Match` header as a version (`"3"`, `W/"3"` or `3`; `*` matches anything).
#[derive(Debug, Clone, Copy, Default)]
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(axum::http::header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let raw = value.to_str().unwrap_or_default().trim();
        if raw == "*" {
            return Ok(IfMatch(None));
        }
        raw.trim_start_matches("W/")
            .trim_matches('"')
            .parse()
            .map(|v| IfMatch(Some(v)))
            .map_err(|_| {
                ApiError::new(
                    codes::INVALID_IF_MATCH,
                    "If-Match must be a version such as \"3\"",
                )
            })
    }
}

/// What [`IfMatch`] reads: optional quotes, an optional weak prefix, a whole number; or `*`.
const IF_MATCH_PATTERN: &str = r#"^(\*|(W/)*"*[+-]?[0-9]{1,18}"*)$"#;

impl utoipa::IntoParams for IfMatch {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        vec![
            ParameterBuilder::new()
                .name("If-Match")
                .parameter_in(ParameterIn::Header)
                .required(utoipa::openapi::Required::False)
                .description(Some(
                    "The version the change is based on (`\"3\"`, `W/\"3\"` or `3`; `*` is any): \
                     a stale one is refused with `precondition_failed` (412). Alternatively \
                     `version` in the body.",
                ))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some(IF_MATCH_PATTERN)),
                ))
                .build(),
        ]
    }
}

impl IfMatch {
    pub fn with_version(self, version: Option<i64>) -> Precondition {
        Precondition {
            if_match: self.0,
            version,
        }
    }
}

/// An `ETag` header for a versioned object.
pub fn etag(version: i64) -> [(axum::http::HeaderName, String); 1] {
    [(axum::http::header::ETAG, format!("\"{version}\""))]
}
