//! The signed-in user's own account: sessions (list, sign out one), password change,
//! new recovery codes.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use gatehouse_domain::auth::SessionStage;
use gatehouse_domain::ids::SessionId;
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;

use super::sign_in::{CodesPage, CsrfForm};
use super::{CheckedForm, CsrfToken, Page, PageMeta, explain, internal, page_session, redirect};
use crate::browser::Browser;
use crate::state::AppState;

struct SessionRow {
    id: String,
    created: String,
    last_seen: String,
    from: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    p: PageMeta,
    email: String,
    display_name: String,
    mfa_enrolled: bool,
    min_chars: usize,
    sessions: Vec<SessionRow>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PasswordChange {
    csrf: String,
    current: String,
    new: String,
}

fn shown(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

async fn render_account(
    s: &AppState,
    browser: &Browser,
    slug: &str,
    error: Option<(axum::http::StatusCode, String)>,
    notice: Option<String>,
) -> Response {
    let (session, business) = match page_session(s, browser, slug, &[SessionStage::Full]).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let (user, sessions) = match (
        s.gatehouse.session_user(&session).await,
        s.gatehouse.list_own_sessions(&session).await,
    ) {
        (Ok(u), Ok(l)) => (u, l),
        (Err(e), _) | (_, Err(e)) => return internal(e),
    };
    let (csrf, _) = browser.csrf_for_form(s);
    let mut p = PageMeta::new("Your account", slug, Some(&business), csrf);
    p.notice = notice;
    let status = error
        .as_ref()
        .map_or(axum::http::StatusCode::OK, |(st, _)| *st);
    p.error = error.map(|(_, text)| text);
    let rows = sessions
        .iter()
        .map(|x| SessionRow {
            id: x.id.to_string(),
            created: shown(x.created_at),
            last_seen: shown(x.last_seen_at),
            from: [x.client_ip.as_deref(), x.user_agent.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", "),
            current: x.id == session.id,
        })
        .collect();
    Page::with_status(
        status,
        &AccountPage {
            p,
            email: user.email.to_string(),
            display_name: user.display_name.to_string(),
            mfa_enrolled: user.mfa_enrolled,
            min_chars: s.gatehouse.auth_config().password.min_chars,
            sessions: rows,
        },
    )
    .into_response()
}

pub(crate) async fn account_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
) -> Response {
    render_account(&s, &browser, &slug, None, None).await
}

pub(crate) async fn change_password(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    CheckedForm(browser, form): CheckedForm<PasswordChange>,
) -> Response {
    let (session, _) = match page_session(&s, &browser, &slug, &[SessionStage::Full]).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match s
        .gatehouse
        .change_password(&browser.ctx, &session, &form.current, &form.new)
        .await
    {
        Ok(()) => {
            let notice = Some("Password changed; your other sessions have ended.".to_owned());
            render_account(&s, &browser, &slug, None, notice).await
        }
        Err(e) => {
            let (status, text, _) = explain(e);
            render_account(&s, &browser, &slug, Some((status, text)), None).await
        }
    }
}

pub(crate) async fn revoke_session(
    State(s): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    CheckedForm(browser, _form): CheckedForm<CsrfForm>,
) -> Response {
    let (session, _) = match page_session(&s, &browser, &slug, &[SessionStage::Full]).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Ok(id) = id.parse::<SessionId>() else {
        return super::not_found(&slug);
    };
    match s
        .gatehouse
        .revoke_own_session(&browser.ctx, &session, id)
        .await
    {
        Ok(()) => redirect(&format!("/b/{slug}/account"), &[]),
        Err(e) => {
            let (status, text, _) = explain(e);
            render_account(&s, &browser, &slug, Some((status, text)), None).await
        }
    }
}

pub(crate) async fn regenerate_codes(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    CheckedForm(browser, form): CheckedForm<CsrfForm>,
) -> Response {
    let (session, business) = match page_session(&s, &browser, &slug, &[SessionStage::Full]).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match s
        .gatehouse
        .regenerate_recovery_codes(&browser.ctx, &session)
        .await
    {
        Ok(codes) => {
            let p = PageMeta::new("Your new recovery codes", &slug, Some(&business), form.csrf);
            let next = format!("/b/{slug}/account");
            Page::ok(&CodesPage { p, codes, next }).into_response()
        }
        Err(gatehouse_domain::Error::StepUpRequired) => {
            super::step_up::step_up_first(&slug, &format!("/b/{slug}/account"))
        }
        Err(e) => {
            let (status, text, _) = explain(e);
            render_account(&s, &browser, &slug, Some((status, text)), None).await
        }
    }
}

impl CsrfToken for PasswordChange {
    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}
