//! The signed-in user's own profile inside the dashboard: details, password change, two-step
//! verification (enrolment is the accounts pages' flow; new recovery codes here), and their
//! sessions, each of which they can sign out. Needs no permission beyond being signed in.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_domain::ids::SessionId;

use super::context::{Answer, Chrome, Dash, describe, notice_text, page, page_with};
use super::fields::{Fields, Params};
use super::user::when;
use crate::browser::Browser;
use crate::state::AppState;

#[derive(Debug)]
struct SessionRow {
    id: String,
    created: String,
    last_seen: String,
    from: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "dashboard/profile.html")]
struct ProfilePage {
    c: Chrome,
    email: String,
    groups: Vec<String>,
    mfa: bool,
    min_chars: usize,
    sessions: Vec<SessionRow>,
}

#[derive(Template)]
#[template(path = "dashboard/codes.html")]
struct CodesPage {
    c: Chrome,
    codes: Vec<String>,
}

async fn render(d: &Dash, error: Option<(StatusCode, String)>, notice: Option<&str>) -> Answer {
    let sessions = d
        .state
        .gatehouse
        .list_own_sessions(&d.session)
        .await
        .map_err(|e| d.fail(e, "profile"))?;
    let mut c = d.chrome("Profile", "profile");
    let status = error.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    c.error = error.map(|(_, t)| t);
    c.notice = notice.map(str::to_owned);
    Ok(page_with(
        status,
        &ProfilePage {
            email: d.me.email.to_string(),
            groups: d.me.groups.iter().map(|g| g.name.to_string()).collect(),
            mfa: d.me.mfa_enrolled,
            min_chars: d.state.gatehouse.auth_config().password.min_chars,
            sessions: sessions
                .iter()
                .map(|x| SessionRow {
                    id: x.id.to_string(),
                    created: when(x.created_at),
                    last_seen: when(x.last_seen_at),
                    from: [x.client_ip.as_deref(), x.user_agent.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" · "),
                    current: x.id == d.session.id,
                })
                .collect(),
            c,
        },
    ))
}

/// The profile page. Requires a signed-in session (no permission).
pub(crate) async fn profile_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Answer {
    let d = Dash::load(&s, browser, &slug).await?;
    render(&d, None, notice_text(q.get("notice"))).await
}

/// Signed-in form posts: the CSRF token first, then the session.
async fn own(s: &AppState, browser: Browser, slug: &str, form: &Fields) -> Answer<Dash> {
    if !browser.csrf_ok(form.csrf()) {
        return Err(super::super::csrf_refused(slug));
    }
    Dash::load(s, browser, slug).await
}

/// Changes the user's password (the current one required); other sessions end.
/// Requires a signed-in session (no permission).
pub(crate) async fn change_password(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    form: Fields,
) -> Answer {
    let d = own(&s, browser, &slug, &form).await?;
    match s
        .gatehouse
        .change_password(
            &d.browser.ctx,
            &d.session,
            form.get("current"),
            form.get("new"),
        )
        .await
    {
        Ok(()) => Ok(d.done(&d.admin("/profile"), "password_changed")),
        Err(e) => render(&d, Some(describe(d.catalog(), e)), None).await,
    }
}

/// Signs out one of the user's own sessions. Requires a signed-in session (no permission).
pub(crate) async fn revoke_session(
    State(s): State<AppState>,
    browser: Browser,
    Path((slug, id)): Path<(String, String)>,
    form: Fields,
) -> Answer {
    let d = own(&s, browser, &slug, &form).await?;
    let Ok(id) = id.parse::<SessionId>() else {
        return Err(d.not_found_page());
    };
    match s
        .gatehouse
        .revoke_own_session(&d.browser.ctx, &d.session, id)
        .await
    {
        Ok(()) => Ok(d.done(&d.admin("/profile"), "session_revoked")),
        Err(e) => render(&d, Some(describe(d.catalog(), e)), None).await,
    }
}

/// Replaces the user's recovery codes and shows the new ones once. Requires a signed-in
/// session (no permission).
pub(crate) async fn regenerate_codes(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    form: Fields,
) -> Answer {
    let d = own(&s, browser, &slug, &form).await?;
    match s
        .gatehouse
        .regenerate_recovery_codes(&d.browser.ctx, &d.session)
        .await
    {
        Ok(codes) => Ok(page(&CodesPage {
            c: d.chrome("Your new recovery codes", "profile"),
            codes,
        })),
        Err(gatehouse_domain::Error::StepUpRequired) => Err(super::super::step_up::step_up_first(
            &slug,
            &format!("/b/{slug}/admin/profile"),
        )),
        Err(e) => render(&d, Some(describe(d.catalog(), e)), None).await,
    }
}
