//! A minimal operator console at `/operator`: sign in with the operator token, then list and
//! create businesses, add and rename their tenants, and invite a business's first
//! administrator — what the operator API and CLI do, in a browser.
//!
//! Signing in sets `__Host-gh_operator`: an expiry and an HMAC of it keyed by the operator
//! token's hash, so nothing is stored, several nodes with one token agree, and rotating the
//! token signs every console out. Forms carry a CSRF token derived from that cookie and must
//! come from Gatehouse's own origin.

mod business;
mod console;

use axum::Router;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use data_encoding::BASE64URL_NOPAD;
use gatehouse_domain::principal::{OperatorAccess, Principal};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::dashboard::Fields;
use super::forms::{FormScope, ScopedForm};
use super::redirect;
use crate::browser::{cookie, read_cookie};
use crate::state::AppState;

/// How long a console sign-in lasts.
const LIFETIME_SECS: i64 = 8 * 3600;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/operator", get(console::home))
        .route("/operator/sign-in", post(console::sign_in))
        .route("/operator/sign-out", post(console::sign_out))
        .route("/operator/businesses", post(console::create_business))
        .route("/operator/businesses/{id}", get(business::business_page))
        .route(
            "/operator/businesses/{id}/tenants",
            post(business::create_tenant),
        )
        .route(
            "/operator/businesses/{id}/tenants/{tenant}",
            post(business::rename_tenant),
        )
        .route(
            "/operator/businesses/{id}/administrators",
            post(business::invite_administrator),
        )
}

fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-gh_operator"
    } else {
        "gh_operator"
    }
}

fn mac(state: &AppState, expires: i64) -> String {
    let key = state.operator.hash();
    let Ok(mut m) = Hmac::<Sha256>::new_from_slice(&key) else {
        return String::new();
    };
    m.update(b"gatehouse operator console\0");
    m.update(expires.to_string().as_bytes());
    BASE64URL_NOPAD.encode(&m.finalize().into_bytes())
}

/// The cookie of a fresh console sign-in.
fn sign_in_cookie(state: &AppState) -> String {
    let expires = state.gatehouse.now().unix_timestamp() + LIFETIME_SECS;
    let value = format!("{expires}.{}", mac(state, expires));
    cookie(
        cookie_name(state.config.cookie_secure),
        &value,
        Some(LIFETIME_SECS),
        state.config.cookie_secure,
    )
}

fn sign_out_cookie(state: &AppState) -> String {
    cookie(
        cookie_name(state.config.cookie_secure),
        "",
        Some(0),
        state.config.cookie_secure,
    )
}

/// A signed-in console request: the operator's capability and the forms' CSRF token.
pub(crate) struct Console {
    op: OperatorAccess,
    csrf: String,
}

/// The console sign-in of the request, if it is valid and unexpired.
fn console_of(state: &AppState, headers: &HeaderMap) -> Option<Console> {
    let value = read_cookie(headers, cookie_name(state.config.cookie_secure))?;
    let (expires, presented) = value.split_once('.')?;
    let expires: i64 = expires.parse().ok()?;
    if expires <= state.gatehouse.now().unix_timestamp() {
        return None;
    }
    let expected = mac(state, expires);
    if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(presented.as_bytes())) {
        return None;
    }
    let op = Principal::Operator.operator().ok()?;
    let mut h = Sha256::new();
    h.update(b"gatehouse operator csrf\0");
    h.update(value.as_bytes());
    Some(Console {
        op,
        csrf: BASE64URL_NOPAD.encode(&h.finalize()),
    })
}

/// A console page's request: signed in, or the sign-in page.
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Console, Response> {
    console_of(state, headers).ok_or_else(|| redirect("/operator", &[]))
}

/// A console form is posted as the signed-in console (else back to its sign-in page) and
/// carries the console's own CSRF token.
impl FormScope for Console {
    fn scope(state: &AppState, parts: &Parts) -> Option<Self> {
        console_of(state, &parts.headers)
    }

    fn outside() -> Response {
        redirect("/operator", &[])
    }

    fn csrf(&self) -> Option<&str> {
        Some(&self.csrf)
    }
}

/// A console form: signed in, same origin, the console's CSRF token (checked by the one
/// form extractor).
type ConsoleForm = ScopedForm<Console, Fields>;
