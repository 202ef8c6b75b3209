//! The browser side of authentication: the session cookie (`__Host-gh_session`: Secure,
//! HttpOnly, SameSite=Lax, Path=/), and CSRF protection for cookie-authenticated state
//! changes — a synchronizer token derived from the session token (or, before there is a
//! session, a double-submit cookie), plus an `Origin` check.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use gatehouse_domain::audit::RequestContext;
use gatehouse_domain::auth::SecretToken;
use subtle::ConstantTimeEq;

use crate::extract::Ctx;
use crate::state::AppState;

/// What a CSRF token is derived for.
const CSRF_PURPOSE: &str = "gatehouse csrf";

/// Cookie names: `__Host-` needs `Secure`, so plain-HTTP development drops the prefix.
pub(crate) fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-gh_session"
    } else {
        "gh_session"
    }
}

fn csrf_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-gh_csrf" } else { "gh_csrf" }
}

/// A `Set-Cookie` value with the attributes every Gatehouse cookie has.
pub(crate) fn cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

/// The cookie carrying a new session.
pub(crate) fn session_cookie(state: &AppState, token: &SecretToken) -> String {
    let secure = state.config.cookie_secure;
    let age = state
        .gatehouse
        .auth_config()
        .session_absolute
        .whole_seconds();
    cookie(
        session_cookie_name(secure),
        &token.encode(),
        Some(age),
        secure,
    )
}

/// The cookie that removes the session cookie.
pub(crate) fn clear_session_cookie(state: &AppState) -> String {
    let secure = state.config.cookie_secure;
    cookie(session_cookie_name(secure), "", Some(0), secure)
}

/// The value of cookie `name` in the request.
pub(crate) fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// The session token in the request's cookie, if any.
pub(crate) fn session_token(headers: &HeaderMap, secure: bool) -> Option<SecretToken> {
    read_cookie(headers, session_cookie_name(secure)).and_then(SecretToken::parse)
}

/// The CSRF token of a session.
pub(crate) fn session_csrf(token: &SecretToken) -> String {
    token.derive(CSRF_PURPOSE)
}

/// Whether the request's `Origin` (when sent) is Gatehouse's own: the configured public
/// address, or the address the request was sent to.
pub(crate) fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Browsers send Origin on cross-site POSTs; without one, the token still guards.
        return true;
    };
    let public = public_url.trim_end_matches('/');
    if origin == public {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    host.is_some_and(|h| origin == format!("http://{h}") || origin == format!("https://{h}"))
}

/// What a page request brings: cookies, the request context, the origin check.
#[derive(Debug)]
pub(crate) struct Browser {
    pub(crate) session: Option<SecretToken>,
    csrf_cookie: Option<String>,
    same_origin: bool,
    pub(crate) ctx: RequestContext,
    secure: bool,
    /// The path and query of a GET: the page to return to after signing in.
    pub(crate) asked_for: Option<String>,
}

impl FromRequestParts<AppState> for Browser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Ctx(ctx) = Ctx::from_request_parts(parts, state).await?;
        let secure = state.config.cookie_secure;
        Ok(Browser {
            session: session_token(&parts.headers, secure),
            csrf_cookie: read_cookie(&parts.headers, csrf_cookie_name(secure)).map(str::to_owned),
            same_origin: same_origin(&parts.headers, &state.gatehouse.auth_config().public_url),
            ctx,
            secure,
            asked_for: (parts.method == axum::http::Method::GET)
                .then(|| parts.uri.path_and_query().map(|p| p.as_str().to_owned()))
                .flatten(),
        })
    }
}

impl Browser {
    /// The CSRF token a form on this page carries, and the cookie to set with it when the
    /// browser has neither a session nor a CSRF cookie yet.
    pub(crate) fn csrf_for_form(&self, state: &AppState) -> (String, Option<String>) {
        if let Some(token) = &self.session {
            return (session_csrf(token), None);
        }
        if let Some(c) = &self.csrf_cookie {
            return (c.clone(), None);
        }
        let fresh = state.gatehouse.new_form_token().unwrap_or_default();
        let set = cookie(
            csrf_cookie_name(self.secure),
            &fresh,
            None,
            state.config.cookie_secure,
        );
        (fresh.clone(), Some(set))
    }

    /// Whether a submitted form may change anything: same origin, and its CSRF token is
    /// `expected` when the form's scope has its own (the operator console's), else the
    /// session's (or, before a session, matches the CSRF cookie). Called only by the form
    /// extractor (`pages::forms::ScopedForm`).
    pub(crate) fn csrf_ok(&self, submitted: &str, expected: Option<&str>) -> bool {
        if !self.same_origin || submitted.is_empty() {
            return false;
        }
        let expected = match (expected, &self.session, &self.csrf_cookie) {
            (Some(e), _, _) => e.to_owned(),
            (None, Some(token), _) => session_csrf(token),
            (None, None, Some(c)) => c.clone(),
            (None, None, None) => return false,
        };
        if expected.is_empty() {
            return false;
        }
        bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
    }
}
