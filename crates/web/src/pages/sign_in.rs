//! Signing in: email and password, then the second factor (or its enrolment when the
//! policy requires one), and signing out.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use gatehouse_domain::Error;
use gatehouse_domain::auth::SessionStage;
use gatehouse_domain::services::Enrolment;
use serde::Deserialize;

use super::answers::{MfaStep, SignInAgain, mfa_answer, sign_in_answer};
use super::dashboard::Params;
use super::next::{after, safe_next};
use super::passkey_sign_in;
use super::{
    CheckedForm, CsrfToken, Page, PageMeta, business_of, explain, internal, page_session, redirect,
};
use crate::browser::{Browser, clear_session_cookie, session_cookie};
use crate::oidc::authorize::flow_origin;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "sign_in.html")]
pub(super) struct SignInPage {
    pub(super) p: PageMeta,
    pub(super) email: String,
    /// Where to go once signed in (a checked path of this business, or empty).
    pub(super) next: String,
    /// An application asks for a second factor whatever the business's policy.
    pub(super) require_mfa: bool,
    /// The passkey sign-in's options (JSON), for the passkey form.
    pub(super) passkey_options: Option<String>,
    /// Offer the passkeys in the email field's autofill at once (not after a passkey
    /// failed: the page would try it again by itself).
    pub(super) conditional: bool,
}

#[derive(Template)]
#[template(path = "mfa.html")]
pub(super) struct MfaPage {
    pub(super) p: PageMeta,
    pub(super) next: String,
    /// The options to use one of the user's passkeys (JSON), if they have any.
    pub(super) passkey_options: Option<String>,
}

#[derive(Template)]
#[template(path = "enrol.html")]
struct EnrolPage {
    p: PageMeta,
    email: String,
    qr_svg: String,
    secret: String,
    uri: String,
    sealed: String,
    next: String,
}

#[derive(Template)]
#[template(path = "codes.html")]
pub(super) struct CodesPage {
    pub(super) p: PageMeta,
    pub(super) codes: Vec<String>,
    pub(super) next: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SignInForm {
    csrf: String,
    email: String,
    password: String,
    next: String,
    /// `required` when an application asks for a second factor.
    mfa: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CodeForm {
    csrf: String,
    code: String,
    enrolment: String,
    next: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CsrfForm {
    pub(crate) csrf: String,
}

/// The `next` of a page's query, when it is safe to return to.
fn next_of(slug: &str, q: &Params) -> String {
    safe_next(slug, q.get("next")).unwrap_or_default()
}

pub(crate) async fn sign_in_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Response {
    let business = match business_of(&s, &slug).await {
        Ok(b) => b,
        Err(e) => return internal(e),
    };
    let (csrf, cookie) = browser.csrf_for_form(&s);
    let p = PageMeta::new("Sign in", &slug, business.as_ref(), csrf);
    let next = next_of(&slug, &q);
    let origin = flow_origin(&s, &slug, &next).await;
    Page::ok(&SignInPage {
        p,
        // An application's `login_hint`; the address is only shown back.
        email: q.get("login_hint").chars().take(254).collect(),
        next,
        require_mfa: q.get("mfa") == "required",
        passkey_options: passkey_sign_in::sign_in_options(&s, &slug).await,
        conditional: true,
    })
    .cookie(cookie)
    .form_action(origin)
    .into_response()
}

pub(crate) async fn sign_in(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    CheckedForm(browser, form): CheckedForm<SignInForm>,
) -> Response {
    let signed_in = s
        .gatehouse
        .sign_in_with(
            &browser.ctx,
            &slug,
            &form.email,
            &form.password,
            form.mfa == "required",
        )
        .await;
    let form_again = SignInAgain {
        slug: &slug,
        csrf: form.csrf,
        next: &form.next,
        email: form.email,
        require_mfa: form.mfa == "required",
        conditional: true,
    };
    sign_in_answer(&s, form_again, signed_in).await
}

pub(crate) async fn mfa_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Response {
    let (session, business) = match page_session(&s, &browser, &slug, &[SessionStage::Mfa]).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let (csrf, _) = browser.csrf_for_form(&s);
    let p = PageMeta::new("Two-step verification", &slug, Some(&business), csrf);
    let next = next_of(&slug, &q);
    let origin = flow_origin(&s, &slug, &next).await;
    let passkey_options = passkey_sign_in::mfa_options(&s, &session).await;
    Page::ok(&MfaPage {
        p,
        next,
        passkey_options,
    })
    .form_action(origin)
    .into_response()
}

pub(crate) async fn verify_mfa(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    CheckedForm(browser, form): CheckedForm<CodeForm>,
) -> Response {
    let (session, business) = match page_session(&s, &browser, &slug, &[SessionStage::Mfa]).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let verified = s
        .gatehouse
        .verify_mfa(&browser.ctx, &session, &form.code)
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

/// The QR code of an `otpauth://` URI, as inline SVG.
fn qr_svg(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .build();
            // Inline in HTML: drop the XML declaration.
            svg.find("<svg")
                .map_or(svg.clone(), |i| svg[i..].to_owned())
        }
        Err(e) => {
            tracing::error!(error = %e, "QR code failed");
            String::new()
        }
    }
}

fn enrol_page_for(p: PageMeta, email: String, enrolment: Enrolment, next: String) -> EnrolPage {
    EnrolPage {
        next,
        p,
        email,
        qr_svg: qr_svg(&enrolment.otpauth_uri),
        secret: enrolment.secret_base32,
        uri: enrolment.otpauth_uri,
        sealed: enrolment.sealed,
    }
}

pub(crate) async fn enrol_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Response {
    let stages = [SessionStage::Enrol, SessionStage::Full];
    let (session, business) = match page_session(&s, &browser, &slug, &stages).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let (enrolment, user) = match (
        s.gatehouse.begin_mfa_enrolment(&session).await,
        s.gatehouse.session_user(&session).await,
    ) {
        (Ok(e), Ok(u)) => (e, u),
        (Err(Error::StepUpRequired), _) => {
            return super::step_up::step_up_first(&slug, &format!("/b/{slug}/mfa/enrol"));
        }
        (Err(e), _) | (_, Err(e)) => return internal(e),
    };
    let (csrf, _) = browser.csrf_for_form(&s);
    let p = PageMeta::new("Set up two-step verification", &slug, Some(&business), csrf);
    let next = next_of(&slug, &q);
    Page::ok(&enrol_page_for(p, user.email.to_string(), enrolment, next)).into_response()
}

pub(crate) async fn confirm_enrolment(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    CheckedForm(browser, form): CheckedForm<CodeForm>,
) -> Response {
    let stages = [SessionStage::Enrol, SessionStage::Full];
    let (session, business) = match page_session(&s, &browser, &slug, &stages).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match s
        .gatehouse
        .confirm_mfa_enrolment(&browser.ctx, &session, &form.enrolment, &form.code)
        .await
    {
        Ok((codes, replaced)) => {
            let (csrf, cookie) = match &replaced {
                Some(opened) => (
                    crate::browser::session_csrf(&opened.token),
                    Some(session_cookie(&s, &opened.token)),
                ),
                None => (form.csrf, None),
            };
            let p = PageMeta::new("Your recovery codes", &slug, Some(&business), csrf);
            let next = match &replaced {
                Some(opened) => after(&s, &slug, &opened.session, Some(&form.next)).await,
                None => format!("/b/{slug}/account"),
            };
            Page::ok(&CodesPage { p, codes, next })
                .cookie(cookie)
                .into_response()
        }
        Err(Error::StepUpRequired) => {
            super::step_up::step_up_first(&slug, &format!("/b/{slug}/mfa/enrol"))
        }
        Err(e) => {
            let (status, text, _) = explain(e);
            let (enrolment, user) = match (
                s.gatehouse
                    .resume_mfa_enrolment(&session, &form.enrolment)
                    .await,
                s.gatehouse.session_user(&session).await,
            ) {
                (Ok(e), Ok(u)) => (e, u),
                (Err(e), _) | (_, Err(e)) => return internal(e),
            };
            let mut p = PageMeta::new(
                "Set up two-step verification",
                &slug,
                Some(&business),
                form.csrf,
            );
            p.error = Some(text);
            Page::with_status(
                status,
                &enrol_page_for(
                    p,
                    user.email.to_string(),
                    enrolment,
                    safe_next(&slug, &form.next).unwrap_or_default(),
                ),
            )
            .into_response()
        }
    }
}

pub(crate) async fn sign_out(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    CheckedForm(browser, _form): CheckedForm<CsrfForm>,
) -> Response {
    if let Some(token) = &browser.session {
        match s.gatehouse.authenticate_session(token).await {
            Ok(session) => {
                if let Err(e) = s.gatehouse.sign_out(&browser.ctx, &session).await {
                    return internal(e);
                }
            }
            Err(Error::Unauthenticated) => {}
            Err(e) => return internal(e),
        }
    }
    redirect(&format!("/b/{slug}/sign-in"), &[clear_session_cookie(&s)])
}

impl CsrfToken for SignInForm {
    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

impl CsrfToken for CodeForm {
    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

impl CsrfToken for CsrfForm {
    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}
