//! The step-up page: a signed-in user proves again who they are (password and a current
//! code, or a verified passkey) before changing their own second factor, then goes back where they were.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use gatehouse_domain::auth::SessionStage;
use serde::Deserialize;

use super::{CheckedForm, CsrfToken, Page, PageMeta, explain, page_session, redirect};
use crate::browser::Browser;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "step_up.html")]
struct StepUpPage {
    p: PageMeta,
    next: String,
    needs_code: bool,
    /// The options to confirm with one of the user's passkeys (JSON), if they have any.
    passkey_options: Option<String>,
}

/// The user's passkey options for the step-up page, if any.
async fn passkey_options(
    s: &AppState,
    session: &gatehouse_domain::auth::Session,
) -> Option<String> {
    match s.gatehouse.passkey_step_up_options(session).await {
        Ok(options) => options.map(|o| o.to_string()),
        Err(e) => {
            tracing::error!(error = %e, "passkey step-up options");
            None
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct NextQuery {
    #[serde(default)]
    next: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct StepUpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    /// A passkey's assertion (JSON) instead of the password and code.
    #[serde(default)]
    response: String,
}

/// Where to go after the step-up: a path of this business's own pages, or the account
/// page. Nothing that could leave the site (`//host`, `\`, a scheme) passes.
pub(crate) fn back_to(slug: &str, next: &str) -> String {
    let own = format!("/b/{slug}/");
    let safe = next.starts_with(&own)
        && !next.contains("//")
        && !next.contains('\\')
        && next
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '<' && c != '>');
    if safe {
        next.to_owned()
    } else {
        format!("/b/{slug}/account")
    }
}

/// Sends the browser to the step-up page, to come back to `next` afterwards.
pub(crate) fn step_up_first(slug: &str, next: &str) -> Response {
    let encoded = super::dashboard::fields::encode(&back_to(slug, next));
    redirect(&format!("/b/{slug}/step-up?next={encoded}"), &[])
}

pub(crate) async fn step_up_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    let (session, business) = match page_session(&s, &browser, &slug, &[SessionStage::Full]).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let needs_code = match s.gatehouse.session_user(&session).await {
        Ok(u) => u.mfa_enrolled,
        Err(e) => return super::internal(e),
    };
    let (csrf, cookie) = browser.csrf_for_form(&s);
    let p = PageMeta::new("Confirm it is you", &slug, Some(&business), csrf);
    let next = back_to(&slug, &q.next);
    let passkey_options = passkey_options(&s, &session).await;
    Page::ok(&StepUpPage {
        p,
        next,
        needs_code,
        passkey_options,
    })
    .cookie(cookie)
    .into_response()
}

pub(crate) async fn step_up(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    CheckedForm(browser, form): CheckedForm<StepUpForm>,
) -> Response {
    let (session, business) = match page_session(&s, &browser, &slug, &[SessionStage::Full]).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let next = back_to(&slug, &form.next);
    let stepped = if form.response.is_empty() {
        s.gatehouse
            .step_up(&browser.ctx, &session, &form.password, &form.code)
            .await
    } else {
        s.gatehouse
            .step_up_with_passkey(&browser.ctx, &session, &form.response)
            .await
    };
    match stepped {
        Ok(()) => redirect(&next, &[]),
        Err(e) => {
            let needs_code = s
                .gatehouse
                .session_user(&session)
                .await
                .map(|u| u.mfa_enrolled)
                .unwrap_or(true);
            let (status, text, retry) = explain(e);
            let mut p = PageMeta::new("Confirm it is you", &slug, Some(&business), form.csrf);
            p.error = Some(text);
            let page = StepUpPage {
                p,
                next,
                needs_code,
                passkey_options: passkey_options(&s, &session).await,
            };
            Page::with_status(status, &page)
                .retry_after(retry)
                .into_response()
        }
    }
}

impl CsrfToken for StepUpForm {
    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

#[cfg(test)]
mod tests {
    use super::back_to;

    #[test]
    fn only_this_business_pages_are_destinations() {
        assert_eq!(back_to("acme", "/b/acme/mfa/enrol"), "/b/acme/mfa/enrol");
        for bad in [
            "https://evil.example/",
            "//evil.example/b/acme/",
            "/b/acme//evil",
            "/b/other/account",
            "/b/acme/\\evil",
            "/b/acme/\"><script>",
            "",
        ] {
            assert_eq!(back_to("acme", bad), "/b/acme/account", "{bad}");
        }
    }
}
