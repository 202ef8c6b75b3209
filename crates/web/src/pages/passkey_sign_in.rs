//! Passkeys on the sign-in pages: the options the sign-in and MFA pages render into their
//! passkey forms, and what those forms post — a passwordless sign-in, or the second factor.

use axum::extract::{Path, State};
use axum::response::Response;
use gatehouse_domain::Error;
use gatehouse_domain::auth::{Session, SessionStage};
use gatehouse_domain::types::Slug;
use serde::Deserialize;

use super::answers::{MfaStep, SignInAgain, mfa_answer, sign_in_answer};
use super::{CheckedForm, CsrfToken, page_session};
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
    let form_again = SignInAgain {
        slug: &slug,
        csrf: form.csrf,
        next: &form.next,
        email: String::new(),
        require_mfa: false,
        conditional: false,
    };
    sign_in_answer(&s, form_again, signed_in).await
}

/// The MFA step with one of the user's passkeys.
pub(crate) async fn verify_mfa_passkey(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    CheckedForm(browser, form): CheckedForm<PasskeyForm>,
) -> Response {
    let (session, business) = match page_session(&s, &browser, &slug, &[SessionStage::Mfa]).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let verified = s
        .gatehouse
        .verify_mfa_passkey(&browser.ctx, &session, &form.response)
        .await;
    let step = MfaStep {
        slug: &slug,
        session: &session,
        business: &business,
        csrf: form.csrf,
        next: &form.next,
    };
    mfa_answer(&s, step, verified).await
}
