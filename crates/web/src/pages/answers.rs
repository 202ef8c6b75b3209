//! The answers to the sign-in pages' posts, whichever the proof (a password, a code, a
//! passkey): in (a redirect with the session cookie), or the same page again with the error.

use axum::response::{IntoResponse, Response};
use gatehouse_domain::Error;
use gatehouse_domain::auth::Session;
use gatehouse_domain::model::Business;
use gatehouse_domain::services::NewSession;

use super::next::{after, safe_next};
use super::passkey_sign_in;
use super::sign_in::{MfaPage, SignInPage};
use super::{Page, PageMeta, business_of, explain, redirect};
use crate::browser::session_cookie;
use crate::oidc::authorize::flow_origin;
use crate::state::AppState;

/// A signed-in session's way in: to where the form was going, with its cookie.
async fn signed_in(s: &AppState, slug: &str, opened: &NewSession, next: &str) -> Response {
    redirect(
        &after(s, slug, &opened.session, Some(next)).await,
        &[session_cookie(s, &opened.token)],
    )
}

/// What the sign-in page shows again after a failed sign-in.
pub(super) struct SignInAgain<'a> {
    pub(super) slug: &'a str,
    pub(super) csrf: String,
    pub(super) next: &'a str,
    pub(super) email: String,
    pub(super) require_mfa: bool,
    /// Offer passkeys in the autofill again (not after a passkey failed).
    pub(super) conditional: bool,
}

/// The answer to the sign-in page (a password or a passkey).
pub(super) async fn sign_in_answer(
    s: &AppState,
    form: SignInAgain<'_>,
    result: Result<NewSession, Error>,
) -> Response {
    let slug = form.slug;
    let e = match result {
        Ok(opened) => return signed_in(s, slug, &opened, form.next).await,
        Err(e) => e,
    };
    let business = business_of(s, slug).await.ok().flatten();
    let (status, text, retry) = explain(e);
    let mut p = PageMeta::new("Sign in", slug, business.as_ref(), form.csrf);
    p.error = Some(text);
    let next = safe_next(slug, form.next).unwrap_or_default();
    let origin = flow_origin(s, slug, &next).await;
    let page = SignInPage {
        p,
        email: form.email,
        next,
        require_mfa: form.require_mfa,
        passkey_options: passkey_sign_in::sign_in_options(s, slug).await,
        conditional: form.conditional,
    };
    Page::with_status(status, &page)
        .retry_after(retry)
        .form_action(origin)
        .into_response()
}

/// The MFA step a form was posted at.
pub(super) struct MfaStep<'a> {
    pub(super) slug: &'a str,
    pub(super) session: &'a Session,
    pub(super) business: &'a Business,
    pub(super) csrf: String,
    pub(super) next: &'a str,
}

/// The answer to the MFA step (a code or a passkey): in, or the page again with the error.
pub(super) async fn mfa_answer(
    s: &AppState,
    step: MfaStep<'_>,
    verified: Result<NewSession, Error>,
) -> Response {
    let slug = step.slug;
    match verified {
        Ok(opened) => signed_in(s, slug, &opened, step.next).await,
        Err(e) => {
            let (status, text, retry) = explain(e);
            let title = "Two-step verification";
            let mut p = PageMeta::new(title, slug, Some(step.business), step.csrf);
            p.error = Some(text);
            let next = safe_next(slug, step.next).unwrap_or_default();
            let origin = flow_origin(s, slug, &next).await;
            let page = MfaPage {
                p,
                next,
                passkey_options: passkey_sign_in::mfa_options(s, step.session).await,
            };
            Page::with_status(status, &page)
                .retry_after(retry)
                .form_action(origin)
                .into_response()
        }
    }
}
