//! The end-session endpoint (OpenID Connect RP-Initiated Logout 1.0). With an ID token of
//! the signed-in user as its hint the session ends at once; otherwise the person is asked
//! (a page that merely links here must not sign anyone out). The browser goes back only to
//! a post-logout address the application registered.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gatehouse_domain::oidc::{LogoutParams, LogoutRequest};
use serde::Deserialize;

use super::authorize::current_session;
use crate::browser::{Browser, clear_session_cookie};
use crate::pages::{
    CheckedForm, CsrfToken, Page, PageMeta, business_of, internal, message, not_found, redirect,
};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "logout.html")]
struct LogoutPage {
    p: PageMeta,
    application: String,
    request: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LogoutForm {
    csrf: String,
    request: String,
}

impl CsrfToken for LogoutForm {
    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

async fn checked(
    s: &AppState,
    slug: &str,
    query: &str,
) -> Result<(gatehouse_domain::model::Business, LogoutRequest), Response> {
    let business = match business_of(s, slug).await {
        Ok(Some(b)) => b,
        Ok(None) => return Err(not_found(slug)),
        Err(e) => return Err(internal(e)),
    };
    let refused = |text: &str| {
        let p = PageMeta::new(
            "Sign-out request refused",
            slug,
            Some(&business),
            String::new(),
        );
        message(StatusCode::BAD_REQUEST, p, text, None).into_response()
    };
    let Ok(params) = serde_urlencoded::from_str::<LogoutParams>(query) else {
        return Err(refused("The sign-out request is malformed."));
    };
    match s.gatehouse.check_logout(&business, &params).await {
        Ok(Ok(req)) => Ok((business, req)),
        Ok(Err(text)) => Err(refused(text)),
        Err(e) => Err(internal(e)),
    }
}

/// Ends the browser's session (if any) and goes where the request may go.
async fn finish(
    s: &AppState,
    browser: &Browser,
    slug: &str,
    business: &gatehouse_domain::model::Business,
    req: &LogoutRequest,
) -> Response {
    match current_session(s, browser, business).await {
        Ok(Some(session)) => {
            if let Err(e) = s.gatehouse.sign_out(&browser.ctx, &session).await {
                return internal(e);
            }
        }
        Ok(None) => {}
        Err(e) => return internal(e),
    }
    let cookies = [clear_session_cookie(s)];
    match &req.redirect {
        Some(to) => redirect(to, &cookies),
        None => {
            let p = PageMeta::new("Signed out", slug, Some(business), String::new());
            message(
                StatusCode::OK,
                p,
                "You are signed out.",
                Some((format!("/b/{slug}/sign-in"), "Sign in again")),
            )
            .cookie(Some(cookies[0].clone()))
            .into_response()
        }
    }
}

/// `GET /b/{slug}/oauth2/logout`.
pub(crate) async fn logout(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let (business, req) = match checked(&s, &slug, &query).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let session = match current_session(&s, &browser, &business).await {
        Ok(session) => session,
        Err(e) => return internal(e),
    };
    let Some(session) = session else {
        return finish(&s, &browser, &slug, &business, &req).await;
    };
    if req.hinted_user.as_deref() == Some(session.user_id.to_string().as_str()) {
        return finish(&s, &browser, &slug, &business, &req).await;
    }
    let (csrf, cookie) = browser.csrf_for_form(&s);
    let p = PageMeta::new("Sign out?", &slug, Some(&business), csrf);
    Page::ok(&LogoutPage {
        p,
        application: req
            .application
            .as_ref()
            .map(|a| a.name.to_string())
            .unwrap_or_default(),
        request: query,
    })
    .cookie(cookie)
    .form_action(
        req.redirect
            .as_deref()
            .and_then(super::authorize::origin_of),
    )
    .into_response()
}

/// `POST /b/{slug}/oauth2/logout`: the confirmation.
pub(crate) async fn confirm_logout(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    CheckedForm(browser, form): CheckedForm<LogoutForm>,
) -> Response {
    let (business, req) = match checked(&s, &slug, &form.request).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    finish(&s, &browser, &slug, &business, &req).await
}
