//! The public documents of an issuer: discovery and the JWKS. Both are served from memory
//! (serialized once), readable from any origin (`Access-Control-Allow-Origin: *`: a
//! browser-based client fetches them too), and cacheable for `oidc.jwks_max_age`, which is
//! also how long a new key is published before it signs. An unknown business is
//! `business_not_found`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// `GET /b/{slug}/.well-known/openid-configuration` and
/// `GET /.well-known/oauth-authorization-server/b/{slug}`: the issuer's metadata. Public.
pub(crate) async fn discovery(State(s): State<AppState>, Path(slug): Path<String>) -> Response {
    match s.gatehouse.discovery_json(&slug).await {
        Ok(doc) => document(&s, doc),
        Err(e) => public(ApiError::from(e).into_response()),
    }
}

/// `GET /b/{slug}/oauth2/jwks`: the public signing keys (the same for every issuer; the
/// business must exist). Public.
pub(crate) async fn jwks(State(s): State<AppState>, Path(slug): Path<String>) -> Response {
    match s.gatehouse.oidc_issuer(&slug).await {
        Ok(_) => document(&s, s.gatehouse.jwks_json()),
        Err(e) => public(ApiError::from(e).into_response()),
    }
}

fn document(s: &AppState, body: Arc<str>) -> Response {
    let max_age = s
        .gatehouse
        .oidc_config()
        .jwks_max_age
        .whole_seconds()
        .max(0);
    let mut response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.to_string(),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        response.headers_mut().insert(header::CACHE_CONTROL, v);
    }
    public(response)
}

/// Readable by scripts of any origin; errors are not cached.
fn public(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    if !response.status().is_success() {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
