//! Pages reached from a mailed link: accepting an invitation, and resetting a forgotten
//! password (asking for the link, then using it). A link that expired, was used or was
//! revoked gets a page that says so.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gatehouse_domain::Error;
use gatehouse_domain::auth::model::TokenState;
use serde::Deserialize;

use super::problems::{FieldMap, Problems};
use super::{
    Page, PageForm, PageMeta, business_of, csrf_refused, explain, internal, message, redirect,
};
use crate::browser::{Browser, session_cookie};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "invitation.html")]
pub(super) struct PasswordPage {
    pub(super) p: PageMeta,
    pub(super) email: String,
    pub(super) min_chars: usize,
    pub(super) action: String,
    pub(super) button: &'static str,
}

fn password_page(
    s: &AppState,
    p: PageMeta,
    email: String,
    action: String,
    button: &'static str,
) -> PasswordPage {
    PasswordPage {
        p,
        email,
        min_chars: s.gatehouse.auth_config().password.min_chars,
        action,
        button,
    }
}

/// The page of a usable reset link.
#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    p: PageMeta,
    email: String,
    min_chars: usize,
    action: String,
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    p: PageMeta,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PasswordForm {
    csrf: String,
    password: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct EmailForm {
    csrf: String,
    email: String,
}

/// The password field of the invitation and reset pages, by the domain's name.
const PASSWORD_FIELD: FieldMap<'static> = &[("password", "password", "Password")];

/// The page of a link that cannot be used.
pub(super) fn dead_link(slug: &str, state: TokenState, what: &str) -> Response {
    let text = match state {
        TokenState::Expired => format!("This {what} link has expired."),
        TokenState::Used => format!("This {what} link was already used."),
        TokenState::Revoked => {
            format!("This {what} link was withdrawn; a newer one may have been sent.")
        }
        TokenState::Unknown | TokenState::Usable => format!("This {what} link is not valid."),
    };
    let p = PageMeta::new("Link not usable", slug, None, String::new());
    let next = (!slug.is_empty()).then(|| (format!("/b/{slug}/sign-in"), "Go to sign in"));
    message(
        StatusCode::GONE,
        p,
        &format!("{text} Ask for a new one if you still need it."),
        next,
    )
    .into_response()
}

fn state_of(err: &Error) -> TokenState {
    match err {
        Error::LinkUnusable("has expired") => TokenState::Expired,
        Error::LinkUnusable("was already used") => TokenState::Used,
        Error::LinkUnusable("was revoked") => TokenState::Revoked,
        _ => TokenState::Unknown,
    }
}

pub(crate) async fn invitation_page(
    State(s): State<AppState>,
    browser: Browser,
    Path((slug, token)): Path<(String, String)>,
) -> Response {
    let view = match s.gatehouse.invitation_view(&slug, &token).await {
        Ok(v) => v,
        Err(e) => return internal(e),
    };
    let (Some(business), Some(user)) = (view.business, view.user) else {
        return dead_link(&slug, view.state, "invitation");
    };
    if view.state != TokenState::Usable {
        return dead_link(&slug, view.state, "invitation");
    }
    let (csrf, cookie) = browser.csrf_for_form(&s);
    let p = PageMeta::new("Accept your invitation", &slug, Some(&business), csrf);
    Page::ok(&password_page(
        &s,
        p,
        user.email.to_string(),
        format!("/b/{slug}/invitation/{token}"),
        "Accept and continue",
    ))
    .cookie(cookie)
    .into_response()
}

pub(crate) async fn accept_invitation(
    State(s): State<AppState>,
    browser: Browser,
    Path((slug, token)): Path<(String, String)>,
    PageForm(form): PageForm<PasswordForm>,
) -> Response {
    if !browser.csrf_ok(&form.csrf) {
        return csrf_refused(&slug);
    }
    match s
        .gatehouse
        .accept_invitation(&browser.ctx, &slug, &token, &form.password)
        .await
    {
        Ok(opened) => redirect(
            &super::next::after(&s, &slug, &opened.session, None).await,
            &[session_cookie(&s, &opened.token)],
        ),
        Err(e @ Error::LinkUnusable(_)) => dead_link(&slug, state_of(&e), "invitation"),
        Err(e) => {
            let view = s.gatehouse.invitation_view(&slug, &token).await.ok();
            let email = view
                .as_ref()
                .and_then(|v| v.user.as_ref())
                .map(|u| u.email.to_string())
                .unwrap_or_default();
            let business = view.and_then(|v| v.business);
            let mut p = PageMeta::new(
                "Accept your invitation",
                &slug,
                business.as_ref(),
                form.csrf,
            );
            let status = match p.problems.take(e, PASSWORD_FIELD) {
                None => StatusCode::UNPROCESSABLE_ENTITY,
                Some(e) => {
                    let (status, text, _) = explain(e);
                    p.error = Some(text);
                    status
                }
            };
            Page::with_status(
                status,
                &PasswordPage {
                    p,
                    email,
                    min_chars: s.gatehouse.auth_config().password.min_chars,
                    action: format!("/b/{slug}/invitation/{token}"),
                    button: "Accept and continue",
                },
            )
            .into_response()
        }
    }
}

pub(crate) async fn forgot_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
) -> Response {
    let business = business_of(&s, &slug).await.ok().flatten();
    let (csrf, cookie) = browser.csrf_for_form(&s);
    let p = PageMeta::new("Forgot your password?", &slug, business.as_ref(), csrf);
    Page::ok(&ForgotPage { p }).cookie(cookie).into_response()
}

pub(crate) async fn forgot(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    PageForm(form): PageForm<EmailForm>,
) -> Response {
    if !browser.csrf_ok(&form.csrf) {
        return csrf_refused(&slug);
    }
    let business = business_of(&s, &slug).await.ok().flatten();
    let mut p = PageMeta::new("Forgot your password?", &slug, business.as_ref(), form.csrf);
    match s
        .gatehouse
        .request_password_reset(&browser.ctx, &slug, &form.email)
        .await
    {
        Ok(()) => {
            p.notice = Some(
                "If that email belongs to an account here, a link to choose a new password is on its way. It works for a short time, once."
                    .to_owned(),
            );
            Page::ok(&ForgotPage { p }).into_response()
        }
        Err(e) => {
            let (status, text, retry) = explain(e);
            p.error = Some(text);
            Page::with_status(status, &ForgotPage { p })
                .retry_after(retry)
                .into_response()
        }
    }
}

/// The reset page of `token`, or the page saying why the link cannot be used.
async fn reset_form(
    s: &AppState,
    slug: &str,
    token: &str,
    csrf: String,
    failed: Result<(), (Option<String>, Problems)>,
) -> Result<Page, Response> {
    let view = s
        .gatehouse
        .password_reset_view(slug, token)
        .await
        .map_err(internal)?;
    let (Some(business), Some(user)) = (view.business, view.user) else {
        return Err(dead_link(slug, view.state, "password reset"));
    };
    if view.state != TokenState::Usable && failed.is_ok() {
        return Err(dead_link(slug, view.state, "password reset"));
    }
    let mut p = PageMeta::new("Choose a new password", slug, Some(&business), csrf);
    let status = if failed.is_err() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    if let Err((error, problems)) = failed {
        p.error = error;
        p.problems = problems;
    }
    Ok(Page::with_status(
        status,
        &ResetPage {
            p,
            email: user.email.to_string(),
            min_chars: s.gatehouse.auth_config().password.min_chars,
            action: format!("/b/{slug}/reset-password/{token}"),
        },
    ))
}

pub(crate) async fn reset_page(
    State(s): State<AppState>,
    browser: Browser,
    Path((slug, token)): Path<(String, String)>,
) -> Response {
    let (csrf, cookie) = browser.csrf_for_form(&s);
    match reset_form(&s, &slug, &token, csrf, Ok(())).await {
        Ok(page) => page.cookie(cookie).into_response(),
        Err(answer) => answer,
    }
}

pub(crate) async fn reset(
    State(s): State<AppState>,
    browser: Browser,
    Path((slug, token)): Path<(String, String)>,
    PageForm(form): PageForm<PasswordForm>,
) -> Response {
    if !browser.csrf_ok(&form.csrf) {
        return csrf_refused(&slug);
    }
    match s
        .gatehouse
        .reset_password(&browser.ctx, &slug, &token, &form.password)
        .await
    {
        Ok(()) => {
            let business = business_of(&s, &slug).await.ok().flatten();
            let p = PageMeta::new("Password changed", &slug, business.as_ref(), String::new());
            message(
                StatusCode::OK,
                p,
                "Your new password is set and your sessions have ended. Sign in with it now.",
                Some((format!("/b/{slug}/sign-in"), "Sign in")),
            )
            .into_response()
        }
        Err(e @ Error::LinkUnusable(_)) => dead_link(&slug, state_of(&e), "password reset"),
        Err(e) => {
            let mut problems = Problems::default();
            let (status, error, retry) = match problems.take(e, PASSWORD_FIELD) {
                None => (StatusCode::UNPROCESSABLE_ENTITY, None, None),
                Some(e) => {
                    let (status, text, retry) = explain(e);
                    (status, Some(text), retry)
                }
            };
            match reset_form(&s, &slug, &token, form.csrf, Err((error, problems))).await {
                Ok(page) => page.with_code(status).retry_after(retry).into_response(),
                Err(answer) => answer,
            }
        }
    }
}
