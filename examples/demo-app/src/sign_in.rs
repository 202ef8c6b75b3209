//! Signing in and out: the authorization request (PKCE, state, nonce kept server-side for
//! this browser), the callback (state checked, code exchanged, ID token validated) and
//! RP-initiated logout.

use axum::extract::{Query, State};
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use openidconnect::core::CoreAuthenticationFlow;
use openidconnect::{
    AuthorizationCode, CsrfToken, LogoutRequest, Nonce, PkceCodeChallenge, PostLogoutRedirectUrl,
    Scope, TokenResponse,
};
use serde::Deserialize;

use crate::page::error_page;
use crate::{AppState, User, Visit};

/// The cookie naming this browser's entry in the in-memory map.
const COOKIE_NAME: &str = "demo_visit";

/// This browser's cookie value, if it sent one.
pub(crate) fn visit_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_owned())
}

fn redirect(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(location) => (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response(),
        Err(_) => error_page(
            StatusCode::BAD_GATEWAY,
            "The provider gave an unusable address.",
        ),
    }
}

/// `GET /sign-in`: a new visit (fresh cookie), then off to Gatehouse.
pub(crate) async fn start(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let (client, _) = match s.provider().await {
        Ok(p) => p,
        Err(e) => return error_page(StatusCode::BAD_GATEWAY, &e),
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".to_owned()))
        .add_scope(Scope::new("profile".to_owned()))
        .add_scope(Scope::new("gatehouse:access".to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    let id = CsrfToken::new_random().secret().clone();
    if let Some(old) = visit_id(&headers) {
        s.visits().remove(&old);
    }
    s.visits().insert(
        id.clone(),
        Visit::SigningIn {
            state: state.secret().clone(),
            nonce,
            verifier,
        },
    );
    let secure = if s.0.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!("{COOKIE_NAME}={id}; Path=/; HttpOnly; SameSite=Lax{secure}");
    let mut res = redirect(url.as_str());
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(SET_COOKIE, v);
    }
    res
}

#[derive(Debug, Deserialize)]
pub(crate) struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /callback`: the state must match this browser's; the code is exchanged with the
/// PKCE verifier and the ID token validated with the nonce.
pub(crate) async fn callback(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Callback>,
) -> Response {
    if let Some(error) = q.error {
        let detail = q.error_description.unwrap_or_default();
        return error_page(
            StatusCode::BAD_REQUEST,
            &format!("Sign-in did not complete: {error} {detail}"),
        );
    }
    let Some(id) = visit_id(&headers) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "This browser did not start a sign-in.",
        );
    };
    let pending = s.visits().remove(&id);
    let Some(Visit::SigningIn {
        state,
        nonce,
        verifier,
    }) = pending
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "This browser did not start a sign-in.",
        );
    };
    let (Some(code), Some(got_state)) = (q.code, q.state) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "The callback has no code or state.",
        );
    };
    if got_state != state {
        return error_page(
            StatusCode::BAD_REQUEST,
            "The sign-in's state does not match.",
        );
    }
    match finish(&s, code, verifier, &nonce).await {
        Ok(user) => {
            s.visits().insert(id, Visit::SignedIn(Box::new(user)));
            redirect("/")
        }
        Err(e) => error_page(StatusCode::BAD_GATEWAY, &e),
    }
}

async fn finish(
    s: &AppState,
    code: String,
    verifier: openidconnect::PkceCodeVerifier,
    nonce: &Nonce,
) -> Result<User, String> {
    let (client, _) = s.provider().await?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| e.to_string())?
        .set_pkce_verifier(verifier)
        .request_async(&s.0.http)
        .await
        .map_err(|e| format!("the code exchange failed: {e}"))?;
    let id_token = tokens.id_token().ok_or("the provider sent no ID token")?;
    let claims = id_token
        .claims(&client.id_token_verifier(), nonce)
        .map_err(|e| format!("the ID token is not valid: {e}"))?;
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_owned())
        .unwrap_or_default();
    Ok(User {
        id: claims.subject().as_str().to_owned(),
        email: claims
            .email()
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default(),
        name,
        groups: groups_of(&id_token.to_string()),
        id_token: id_token.clone(),
    })
}

/// The `groups` claim of an ID token the library has already validated (its core claims
/// type does not carry Gatehouse's own claims, so they are read from the same payload).
fn groups_of(jwt: &str) -> Vec<String> {
    #[derive(Deserialize)]
    struct Access {
        #[serde(default)]
        groups: Vec<String>,
    }
    jwt.split('.')
        .nth(1)
        .and_then(|p| data_encoding::BASE64URL_NOPAD.decode(p.as_bytes()).ok())
        .and_then(|json| serde_json::from_slice::<Access>(&json).ok())
        .map(|a| a.groups)
        .unwrap_or_default()
}

/// `POST /sign-out`: forget the visit here, then end the Gatehouse session too
/// (RP-initiated logout with the ID token as hint), coming back to `/`.
pub(crate) async fn sign_out(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let visit = visit_id(&headers).and_then(|id| s.visits().remove(&id));
    let Some(Visit::SignedIn(user)) = visit else {
        return redirect("/");
    };
    let (_, metadata) = match s.provider().await {
        Ok(p) => p,
        Err(e) => return error_page(StatusCode::BAD_GATEWAY, &e),
    };
    let Some(end_session) = metadata.additional_metadata().end_session_endpoint.clone() else {
        return redirect("/");
    };
    let mut logout = LogoutRequest::from(end_session).set_id_token_hint(&user.id_token);
    if let Ok(back) = PostLogoutRedirectUrl::new(format!("{}/", s.0.config.base_url)) {
        logout = logout.set_post_logout_redirect_uri(back);
    }
    redirect(logout.http_get_url().as_str())
}
