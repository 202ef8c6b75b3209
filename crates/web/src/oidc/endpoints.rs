//! The machine-facing endpoints: token (RFC 6749 §3.2), userinfo (OIDC Core §5.3),
//! introspection (RFC 7662) and revocation (RFC 7009). Answers and errors are the
//! specifications' JSON (`error`, `error_description`), never cached.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use data_encoding::BASE64;
use gatehouse_domain::application::{Application, ClientType};
use gatehouse_domain::model::Business;
use gatehouse_domain::oidc::{ClientCredentials, OAuthError, OAuthErrorCode, TokenParams};
use serde::Deserialize;
use serde_json::json;

use crate::extract::Ctx;
use crate::pages::business_of;
use crate::state::AppState;

/// The JSON answer of an OAuth endpoint, with `Cache-Control: no-store`.
fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    let mut r = (status, axum::Json(body)).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    r
}

/// An error as RFC 6749 §5.2 says: 401 with `WWW-Authenticate` for a client that
/// authenticated with Basic, 5xx for the server's own failures, else 400.
pub(crate) fn oauth_error(e: &OAuthError, basic: bool) -> Response {
    if let Some(internal) = &e.internal {
        tracing::error!(error = %internal, "OAuth endpoint failed");
    }
    let status = match e.code {
        OAuthErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        OAuthErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        OAuthErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        OAuthErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut r = answer(
        status,
        json!({ "error": e.code.as_str(), "error_description": e.description }),
    );
    if e.code == OAuthErrorCode::InvalidClient && basic {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"gatehouse\""),
        );
    }
    r
}

async fn business(s: &AppState, slug: &str) -> Result<Business, Response> {
    match business_of(s, slug).await {
        Ok(Some(b)) => Ok(b),
        Ok(None) => Err(answer(
            StatusCode::NOT_FOUND,
            json!({ "error": "invalid_request", "error_description": "no such issuer" }),
        )),
        Err(e) => Err(oauth_error(&e.into(), false)),
    }
}

/// A form body (`application/x-www-form-urlencoded`); a repeated parameter is an error.
/// A refusal already answered (boxed: a `Response` is large).
type Refused = Box<Response>;

fn form<T: serde::de::DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, Refused> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').next().is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    if !is_form {
        return Err(Box::new(oauth_error(
            &OAuthError::invalid_request("the body must be application/x-www-form-urlencoded"),
            false,
        )));
    }
    serde_urlencoded::from_bytes(body).map_err(|_| {
        Box::new(oauth_error(
            &OAuthError::invalid_request("the form is malformed or repeats a parameter"),
            false,
        ))
    })
}

/// The client's credentials: HTTP Basic (RFC 6749 §2.3.1: both parts form-encoded) or the
/// form's `client_id`/`client_secret` — not both.
fn credentials(
    headers: &HeaderMap,
    client_id: Option<String>,
    client_secret: Option<String>,
) -> Result<ClientCredentials, Refused> {
    let Some(auth) = headers.get(header::AUTHORIZATION) else {
        return Ok(ClientCredentials {
            client_id,
            client_secret,
            basic: false,
        });
    };
    let bad = || Box::new(oauth_error(&OAuthError::invalid_client(), true));
    let raw = auth.to_str().map_err(|_| bad())?;
    let Some(encoded) = raw
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, v)| v.trim())
    else {
        return Err(bad());
    };
    let decoded = BASE64.decode(encoded.as_bytes()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let unform = |v: &str| form_urlencoded_decode(v).ok_or_else(bad);
    let (id, secret) = (unform(id)?, unform(secret)?);
    if client_secret.is_some() || client_id.as_deref().is_some_and(|c| c != id) {
        return Err(Box::new(oauth_error(
            &OAuthError::invalid_request("use one client authentication method"),
            true,
        )));
    }
    Ok(ClientCredentials {
        client_id: Some(id),
        client_secret: Some(secret),
        basic: true,
    })
}

fn form_urlencoded_decode(v: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct One {
        v: String,
    }
    serde_urlencoded::from_str::<One>(&format!("v={v}"))
        .ok()
        .map(|o| o.v)
}

/// `POST /b/{slug}/oauth2/token`.
pub(crate) async fn token(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let business = match business(&s, &slug).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let params: TokenParams = match form(&headers, &body) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let creds = match credentials(
        &headers,
        params.client_id.clone(),
        params.client_secret.clone(),
    ) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let app = match s
        .gatehouse
        .authenticate_client(&ctx, &business, &creds)
        .await
    {
        Ok(app) => app,
        Err(e) => return oauth_error(&e, creds.basic),
    };
    match s.gatehouse.token(&ctx, &business, &app, &params).await {
        Ok(t) => answer(StatusCode::OK, json!(t)),
        Err(e) => oauth_error(&e, creds.basic),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TokenForm {
    token: Option<String>,
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// The authenticated client of an introspection or revocation request, and its form.
async fn client_request(
    s: &AppState,
    ctx: &gatehouse_domain::audit::RequestContext,
    slug: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Business, Application, String), Refused> {
    let business = business(s, slug).await.map_err(Box::new)?;
    let f: TokenForm = form(headers, body)?;
    let creds = credentials(headers, f.client_id, f.client_secret)?;
    let app = s
        .gatehouse
        .authenticate_client(ctx, &business, &creds)
        .await
        .map_err(|e| Box::new(oauth_error(&e, creds.basic)))?;
    // The hint only speeds up a lookup; both kinds are tried whatever it says.
    let _ = f.token_type_hint;
    let Some(token) = f.token.filter(|t| !t.is_empty() && t.len() <= 8192) else {
        return Err(Box::new(oauth_error(
            &OAuthError::invalid_request("token is required"),
            false,
        )));
    };
    Ok((business, app, token))
}

/// `POST /b/{slug}/oauth2/introspect`: for confidential clients (resource servers).
pub(crate) async fn introspect(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (business, app, token) = match client_request(&s, &ctx, &slug, &headers, &body).await {
        Ok(found) => found,
        Err(r) => return *r,
    };
    if app.client_type != ClientType::Confidential {
        return oauth_error(&OAuthError::invalid_client(), false);
    }
    match s.gatehouse.introspect(&business, &token).await {
        Ok(v) => answer(StatusCode::OK, v),
        Err(e) => oauth_error(&e.into(), false),
    }
}

/// `POST /b/{slug}/oauth2/revoke`.
pub(crate) async fn revoke(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (business, app, token) = match client_request(&s, &ctx, &slug, &headers, &body).await {
        Ok(found) => found,
        Err(r) => return *r,
    };
    match s
        .gatehouse
        .revoke_token(&ctx, &business, &app, &token)
        .await
    {
        Ok(()) => answer(StatusCode::OK, json!({})),
        Err(e) => oauth_error(&e.into(), false),
    }
}

/// `GET` or `POST /b/{slug}/oauth2/userinfo` with `Authorization: Bearer`.
pub(crate) async fn userinfo(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let business = match business(&s, &slug).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned());
    let Some(token) = bearer else {
        let mut r = answer(
            StatusCode::UNAUTHORIZED,
            json!({ "error": "invalid_request" }),
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"gatehouse\""),
        );
        return r;
    };
    match s.gatehouse.userinfo(&business, &token).await {
        Ok(claims) => answer(StatusCode::OK, serde_json::Value::Object(claims)),
        Err(e) => {
            let mut r = oauth_error(&e, false);
            if e.code == OAuthErrorCode::InvalidToken {
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"gatehouse\", error=\"invalid_token\""),
                );
            }
            r
        }
    }
}
