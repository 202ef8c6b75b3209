//! The authorization endpoint's pages: the request is checked by the domain, then the
//! browser is sent to sign in (and back), shown the consent page, or sent back to the client
//! with a code or an error. Mistakes in the client or its redirect URI are shown here and
//! never redirected.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gatehouse_domain::Error;
use gatehouse_domain::auth::{Session, SessionStage};
use gatehouse_domain::model::Business;
use gatehouse_domain::oidc::{AuthorizeParams, AuthorizeRequest, AuthorizeStep, OAuthError};
use serde::Deserialize;

use crate::browser::Browser;
use crate::pages::encode;
use crate::pages::{
    CheckedForm, CsrfToken, Page, PageMeta, business_of, internal, message, not_found, redirect,
};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage {
    p: PageMeta,
    application: String,
    third_party: bool,
    scopes: Vec<&'static str>,
    request: String,
    email: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ConsentForm {
    csrf: String,
    /// The authorization request's query string, as the consent page was shown for.
    request: String,
    decision: String,
}

impl CsrfToken for ConsentForm {
    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

/// What each scope means to the person asked.
fn describe(scope: &str) -> Option<&'static str> {
    Some(match scope {
        "openid" => "Know who you are (your account's identifier)",
        "profile" => "See your name",
        "email" => "See your email address",
        "offline_access" => "Stay signed in while you use it",
        "gatehouse:access" => "See your groups and what you may do in this business",
        _ => return None,
    })
}

fn refused(slug: &str, business: Option<&Business>, text: &str) -> Response {
    let p = PageMeta::new("Sign-in request refused", slug, business, String::new());
    message(StatusCode::BAD_REQUEST, p, text, None).into_response()
}

/// The origin of `uri` (`scheme://host[:port]`), for a content security policy.
pub(crate) fn origin_of(uri: &str) -> Option<String> {
    let origin = url::Url::parse(uri).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// When a sign-in page's `next` is an authorization request of a known client with one of
/// its registered redirect URIs: that URI's origin, where the page's form will lead.
pub(crate) async fn flow_origin(s: &AppState, slug: &str, next: &str) -> Option<String> {
    let query = next.strip_prefix(&format!("/b/{slug}/oauth2/authorize?"))?;
    let params = serde_urlencoded::from_str::<AuthorizeParams>(query).ok()?;
    let business = business_of(s, slug).await.ok()??;
    match s.gatehouse.authorization_client(&business, &params).await {
        Ok(Ok((_, uri))) => origin_of(&uri),
        _ => None,
    }
}

/// The browser's full session in `business`, if it has one.
pub(crate) async fn current_session(
    s: &AppState,
    browser: &Browser,
    business: &Business,
) -> Result<Option<Session>, Error> {
    let Some(token) = &browser.session else {
        return Ok(None);
    };
    match s.gatehouse.authenticate_session(token).await {
        Ok(session)
            if session.business_id == business.id && session.stage == SessionStage::Full =>
        {
            Ok(Some(session))
        }
        Ok(_) | Err(Error::Unauthenticated) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Parses and checks a request; `Err` is the answer (an error page, or the client's error
/// redirect).
async fn checked(
    s: &AppState,
    slug: &str,
    query: &str,
) -> Result<(AuthorizeParams, AuthorizeRequest), Response> {
    let business = match business_of(s, slug).await {
        Ok(Some(b)) => b,
        Ok(None) => return Err(not_found(slug)),
        Err(e) => return Err(internal(e)),
    };
    let Ok(params) = serde_urlencoded::from_str::<AuthorizeParams>(query) else {
        return Err(refused(
            slug,
            Some(&business),
            "The application's sign-in request is malformed (a parameter is repeated or not text).",
        ));
    };
    let (app, uri) = match s.gatehouse.authorization_client(&business, &params).await {
        Ok(Ok(found)) => found,
        Ok(Err(problem)) => return Err(refused(slug, Some(&business), problem.message())),
        Err(e) => return Err(internal(e)),
    };
    match s.gatehouse.check_authorization(business, app, uri, &params) {
        Ok(req) => Ok((params, req)),
        Err((_, to)) => Err(redirect(&to, &[])),
    }
}

/// An error answered at the client's redirect URI.
fn to_client(s: &AppState, req: &AuthorizeRequest, e: &OAuthError) -> Response {
    if let Some(internal) = &e.internal {
        tracing::error!(error = %internal, "authorization request failed");
    }
    redirect(&s.gatehouse.error_response(req, e), &[])
}

/// `GET /b/{slug}/oauth2/authorize`.
pub(crate) async fn authorize(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let (params, req) = match checked(&s, &slug, &query).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    decide(&s, &browser, &slug, params, &req, &query, false).await
}

/// `POST /b/{slug}/oauth2/authorize`: the consent page's answer.
pub(crate) async fn consent(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    CheckedForm(browser, form): CheckedForm<ConsentForm>,
) -> Response {
    let (params, req) = match checked(&s, &slug, &form.request).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    if form.decision != "allow" {
        let session = match current_session(&s, &browser, &req.business).await {
            Ok(Some(session)) => session,
            Ok(None) => {
                return decide(&s, &browser, &slug, params, &req, &form.request, false).await;
            }
            Err(e) => return internal(e),
        };
        return match s
            .gatehouse
            .deny_authorization(&browser.ctx, &req, &session)
            .await
        {
            Ok(to) => redirect(&to, &[]),
            Err(e) => internal(e),
        };
    }
    decide(&s, &browser, &slug, params, &req, &form.request, true).await
}

async fn decide(
    s: &AppState,
    browser: &Browser,
    slug: &str,
    mut params: AuthorizeParams,
    req: &AuthorizeRequest,
    query: &str,
    consented: bool,
) -> Response {
    let session = match current_session(s, browser, &req.business).await {
        Ok(session) => session,
        Err(e) => return to_client(s, req, &e.into()),
    };
    let step = s
        .gatehouse
        .authorize(&browser.ctx, req, session.as_ref(), consented)
        .await;
    match step {
        Ok(AuthorizeStep::Redirect(to)) => redirect(&to, &[]),
        Ok(AuthorizeStep::SignIn {
            login_hint,
            require_mfa,
            auth_after,
        }) => {
            params.auth_after = auth_after.map(|t| t.unix_timestamp().to_string());
            let back = format!(
                "/b/{slug}/oauth2/authorize?{}",
                serde_urlencoded::to_string(ReturnParams(&params)).unwrap_or_default()
            );
            let mut to = format!("/b/{slug}/sign-in?next={}", encode(&back));
            if let Some(hint) = login_hint {
                to.push_str(&format!("&login_hint={}", encode(&hint)));
            }
            if require_mfa {
                to.push_str("&mfa=required");
            }
            redirect(&to, &[])
        }
        Ok(AuthorizeStep::Consent) => {
            let email = match &session {
                Some(session) => match s.gatehouse.session_user(session).await {
                    Ok(u) => u.email.to_string(),
                    Err(e) => return internal(e),
                },
                None => String::new(),
            };
            let (csrf, cookie) = browser.csrf_for_form(s);
            let app = &req.application;
            let p = PageMeta::new(
                &format!("Allow {}?", app.name),
                slug,
                Some(&req.business),
                csrf,
            );
            let scopes = req
                .scopes
                .as_string()
                .split(' ')
                .filter_map(describe)
                .collect();
            Page::ok(&ConsentPage {
                p,
                application: app.name.to_string(),
                third_party: !app.first_party,
                scopes,
                request: query.to_owned(),
                email,
            })
            .cookie(cookie)
            .form_action(origin_of(&req.redirect_uri))
            .into_response()
        }
        Err(e) => to_client(s, req, &e),
    }
}

/// The request's parameters to come back with, as a query string.
struct ReturnParams<'a>(&'a AuthorizeParams);

impl serde::Serialize for ReturnParams<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let p = self.0;
        let mut m = ser.serialize_map(None)?;
        for (k, v) in [
            ("client_id", &p.client_id),
            ("redirect_uri", &p.redirect_uri),
            ("response_type", &p.response_type),
            ("response_mode", &p.response_mode),
            ("scope", &p.scope),
            ("state", &p.state),
            ("nonce", &p.nonce),
            ("code_challenge", &p.code_challenge),
            ("code_challenge_method", &p.code_challenge_method),
            ("prompt", &p.prompt),
            ("max_age", &p.max_age),
            ("login_hint", &p.login_hint),
            ("auth_after", &p.auth_after),
        ] {
            if let Some(v) = v {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}
