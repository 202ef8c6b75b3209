//! Passkeys on the sign-in pages: the options the sign-in and MFA pages render into their
//! passkey forms, and what those forms post — a passwordless sign-in, or the second factor.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use gatehouse_domain::Error;
use gatehouse_domain::auth::{Session, SessionStage};
use gatehouse_domain::types::Slug;
use serde::Deserialize;

use super::next::{after, safe_next};
use super::sign_in::{MfaPage, SignInPage};
use super::{CheckedForm, CsrfToken, Page, PageMeta, business_of, explain, page_session, redirect};
use crate::browser::session_cookie;
use crate::oidc::authorize::flow_origin;
use crate::state::AppState;

/// A passkey form: the credential the browser made, as JSON.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PasskeyForm {
    csrf: String,
    response: String,
    next: String,
}

impl CsrfToken for PasskeyForm {
    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

/// The sign-in page's passkey options (JSON); `None` hides the passkey form.
pub(super) async fn sign_in_options(s: &AppState, slug: &str) -> Option<String> {
    let slug = Slug::parse(slug).ok()?;
    match s.gatehouse.passkey_sign_in_options(&slug).await {
        Ok(options) => Some(options.to_string()),
        Err(Error::BusinessNotFound) => None,
        Err(e) => {
            tracing::error!(error = %e, "passkey sign-in options");
            None
        }
    }
}

/// The MFA page's passkey options (JSON), when the user has passkeys.
pub(super) async fn mfa_options(s: &AppState, session: &Session) -> Option<String> {
    match s.gatehouse.passkey_mfa_options(session).await {
        Ok(options) => options.map(|o| o.to_string()),
        Err(e) => {
            tracing::error!(error = %e, "passkey MFA options");
            None
        }
    }
}

/// "Sign in with a passkey": a discoverable passkey of this business, user verified.
pub(crate) async fn sign_in_with_passkey(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    CheckedForm(browser, form): CheckedForm<PasskeyForm>,
) -> Response {
    let signed_in = match Slug::parse(&slug) {
        Ok(parsed) => {
            s.gatehouse
                .sign_in_with_passkey(&browser.ctx, &parsed, &form.response)
                .await
        }
        Err(_) => Err(Error::SignInFailed),
    };
    match signed_in {
        Ok(opened) => redirect(
            &after(&s, &slug, &opened.session, Some(&form.next)).await,
            &[session_cookie(&s, &opened.token)],
        ),
        Err(e) => {
            let business = business_of(&s, &slug).await.ok().flatten();
            let (status, text, retry) = explain(e);
            let mut p = PageMeta::new("Sign in", &slug, business.as_ref(), form.csrf);
            p.error = Some(text);
            let next = safe_next(&slug, &form.next).unwrap_or_default();
            let origin = flow_origin(&s, &slug, &next).await;
            let page = SignInPage {
                p,
                email: String::new(),
                next,
                require_mfa: false,
                passkey_options: sign_in_options(&s, &slug).await,
                conditional: false,
            };
            Page::with_status(status, &page)
                .retry_after(retry)
                .form_action(origin)
                .into_response()
        }
    }
}

/// The MFA step with one of the user's passkeys.
pub(crate) async fn verify_mfa_passkey(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    CheckedForm(browser, form): CheckedForm<PasskeyForm>,
) -> Response {
    let (session, business) = match page_session(&s, &browser, &slug, &[SessionStage::Mfa]).await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    match s
        .gatehouse
        .verify_mfa_passkey(&browser.ctx, &session, &form.response)
        .await
    {
        Ok(opened) => redirect(
            &after(&s, &slug, &opened.session, Some(&form.next)).await,
            &[session_cookie(&s, &opened.token)],
        ),
        Err(e) => {
            let (status, text, retry) = explain(e);
            let mut p = PageMeta::new("Two-step verification", &slug, Some(&business), form.csrf);
            p.error = Some(text);
            let next = safe_next(&slug, &form.next).unwrap_or_default();
            let origin = flow_origin(&s, &slug, &next).await;
            let page = MfaPage {
                p,
                next,
                passkey_options: mfa_options(&s, &session).await,
            };
            Page::with_status(status, &page)
                .retry_after(retry)
                .form_action(origin)
                .into_response()
        }
    }
}
