//! The signed-in user's own account — who they are, their password, two-step verification
//! (new recovery codes and passkeys here; app enrolment is the sign-in pages' flow) and their sessions, each of
//! which they can sign out — as one page in two frames: plainly at `/b/{slug}/account`, where
//! people who administer nothing land, and inside the dashboard at `/b/{slug}/admin/profile`.
//! One implementation and one template (`_account.html`) serve both. Needs no permission
//! beyond being signed in; every form goes through the dashboard's checked form extractor.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use gatehouse_domain::Error;
use gatehouse_domain::ids::SessionId;

use super::account_requests::{RequestsView, file_request, requests_view};
use super::dashboard::{
    Chrome, Dash, DashForm, Params, describe, notice_text, page, page_with, when,
};
use super::problems::{FieldMap, Problems};
use super::sign_in::CodesPage;
use super::{Page, PageMeta, message};
use crate::browser::Browser;
use crate::state::AppState;

mod passkeys;

/// Where the page is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Frame {
    /// A plain page, like sign-in's.
    Plain,
    /// Inside the dashboard's frame (navigation, header).
    Dashboard,
}

/// A frame as a type, so each route knows its frame.
pub(crate) trait InFrame: Send + Sync + 'static {
    const FRAME: Frame;
}

/// `/b/{slug}/account`.
pub(crate) struct Plain;
impl InFrame for Plain {
    const FRAME: Frame = Frame::Plain;
}

/// `/b/{slug}/admin/profile`.
pub(crate) struct InDashboard;
impl InFrame for InDashboard {
    const FRAME: Frame = Frame::Dashboard;
}

/// The page and its forms under `home` (`/b/{slug}/account` or `/b/{slug}/admin/profile`).
pub(crate) fn routes<F: InFrame>(home: &str) -> Router<AppState> {
    Router::new()
        .route(home, get(account_page::<F>))
        .route(&format!("{home}/password"), post(change_password::<F>))
        .route(
            &format!("{home}/sessions/{{id}}/revoke"),
            post(revoke_session::<F>),
        )
        .route(
            &format!("{home}/recovery-codes"),
            post(regenerate_codes::<F>),
        )
        .merge(passkeys::routes::<F>(home))
        .route(
            &format!("{home}/access-requests"),
            post(request_access::<F>),
        )
}

#[derive(Debug)]
pub(crate) struct SessionRow {
    id: String,
    created: String,
    last_seen: String,
    from: String,
    current: bool,
}

/// What the page shows, whichever the frame.
#[derive(Debug)]
pub(crate) struct AccountView {
    /// `/b/<slug>`.
    base: String,
    /// The page's own address; its forms post below it.
    home: String,
    csrf: String,
    email: String,
    name: String,
    groups: Vec<String>,
    mfa: bool,
    /// The user's passkeys, and the options to add one (`None`: a step-up comes first).
    passkeys: passkeys::PasskeysView,
    min_chars: usize,
    sessions: Vec<SessionRow>,
    /// Asking for temporary access, and one's requests.
    requests: RequestsView,
    /// The password form's problems, beside its fields.
    problems: Problems,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    p: PageMeta,
    a: AccountView,
}

#[derive(Template)]
#[template(path = "dashboard/profile.html")]
struct ProfilePage {
    c: Chrome,
    a: AccountView,
}

#[derive(Template)]
#[template(path = "dashboard/codes.html")]
struct DashCodesPage {
    c: Chrome,
    codes: Vec<String>,
}

/// What a form left to show: problems beside their fields, an error at the top, a notice.
#[derive(Debug, Default)]
struct Shown {
    problems: Problems,
    error: Option<(StatusCode, String)>,
    notice: Option<&'static str>,
}

fn home(d: &Dash, frame: Frame) -> String {
    match frame {
        Frame::Plain => format!("{}/account", d.base()),
        Frame::Dashboard => d.admin("/profile"),
    }
}

/// An error as a page of the frame.
fn fail(d: &Dash, frame: Frame, e: Error) -> Response {
    match frame {
        Frame::Dashboard => d.fail(e, "profile"),
        Frame::Plain => {
            let (status, text) = describe(d.catalog(), e);
            let p = PageMeta::new("Your account", &d.slug, Some(&d.business), d.csrf.clone());
            let back = Some((home(d, frame), "Back to your account"));
            message(status, p, &text, back).into_response()
        }
    }
}

async fn render(d: &Dash, frame: Frame, shown: Shown) -> Answer {
    let sessions = d
        .state
        .gatehouse
        .list_own_sessions(&d.session)
        .await
        .map_err(|e| fail(d, frame, e))?;
    let passkeys = passkeys::view(d, frame).await?;
    let status = shown.problems.status(shown.error.as_ref().map(|(s, _)| *s));
    let a = AccountView {
        passkeys,
        base: d.base(),
        home: home(d, frame),
        csrf: d.csrf.clone(),
        email: d.me.email.to_string(),
        name: d.me.display_name.to_string(),
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
        requests: requests_view(d).await.map_err(|e| fail(d, frame, e))?,
        problems: shown.problems.clone(),
    };
    let error = shown.error.map(|(_, t)| t);
    let notice = shown.notice.map(str::to_owned);
    Ok(match frame {
        Frame::Dashboard => {
            let mut c = d.chrome("Profile", "profile");
            (c.error, c.notice, c.problems) = (error, notice, shown.problems);
            page_with(status, &ProfilePage { c, a })
        }
        Frame::Plain => {
            let mut p = PageMeta::new("Your account", &d.slug, Some(&d.business), d.csrf.clone());
            (p.error, p.notice, p.problems) = (error, notice, shown.problems);
            Page::with_status(status, &AccountPage { p, a }).into_response()
        }
    })
}

type Answer<T = Response> = Result<T, Response>;

/// The account page. Requires a signed-in session (no permission).
pub(crate) async fn account_page<F: InFrame>(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Answer {
    let d = Dash::load(&s, browser, &slug).await?;
    let notice = notice_text(q.get("notice"));
    render(
        &d,
        F::FRAME,
        Shown {
            notice,
            ..Shown::default()
        },
    )
    .await
}

/// How the password form names the domain's fields.
const PASSWORD_FIELDS: FieldMap<'static> = &[
    ("current", "current", "Current password"),
    ("password", "new", "New password"),
];

/// Changes the user's password (the current one required); other sessions end. Every
/// problem of the form is shown at once, beside its field. Requires a signed-in session.
pub(crate) async fn change_password<F: InFrame>(DashForm(d, _member, form): DashForm) -> Answer {
    let (current, new) = (form.raw("current"), form.raw("new"));
    let policy = d.state.gatehouse.auth_config().password;
    let checked = policy.check(new, d.me.email.local_part(), d.business.name.as_str());
    // Both fields are judged on every try, and their problems listed in the fields' order.
    let mut problems = Problems::default();
    let mut error = None;
    if current.is_empty() {
        problems.add("current", "Enter your current password.");
    } else {
        let changed = d
            .state
            .gatehouse
            .change_password(&d.browser.ctx, &d.session, current, new)
            .await;
        match changed {
            Ok(()) => return Ok(d.done(&home(&d, F::FRAME), "password_changed")),
            Err(e) => {
                error = problems
                    .take(e, PASSWORD_FIELDS)
                    .map(|e| describe(d.catalog(), e));
            }
        }
    }
    problems.check("new", "New password", checked);
    let shown = Shown {
        problems,
        error,
        notice: None,
    };
    render(&d, F::FRAME, shown).await
}

/// Signs out one of the user's own sessions. Requires a signed-in session (no permission).
pub(crate) async fn revoke_session<F: InFrame>(
    Path((_slug, id)): Path<(String, String)>,
    DashForm(d, _member, _form): DashForm,
) -> Answer {
    let Ok(id) = id.parse::<SessionId>() else {
        return Err(fail(&d, F::FRAME, Error::SessionNotFound));
    };
    match d
        .state
        .gatehouse
        .revoke_own_session(&d.browser.ctx, &d.session, id)
        .await
    {
        Ok(()) => Ok(d.done(&home(&d, F::FRAME), "session_revoked")),
        Err(e) => {
            let error = Some(describe(d.catalog(), e));
            let shown = Shown {
                error,
                ..Shown::default()
            };
            render(&d, F::FRAME, shown).await
        }
    }
}

/// Files a request for temporary access (a group, how long, why) for the administrators'
/// inbox. Requires a signed-in session (no permission).
pub(crate) async fn request_access<F: InFrame>(DashForm(d, member, form): DashForm) -> Answer {
    match file_request(&d, &member, &form).await {
        Ok(()) => Ok(d.done(&home(&d, F::FRAME), "access_requested")),
        Err(e) => Err(fail(&d, F::FRAME, e)),
    }
}

/// Replaces the user's recovery codes and shows the new ones once. Requires a signed-in
/// session (no permission) and a recent proof of identity (else the step-up page first).
pub(crate) async fn regenerate_codes<F: InFrame>(DashForm(d, _member, _form): DashForm) -> Answer {
    let back = home(&d, F::FRAME);
    match d
        .state
        .gatehouse
        .regenerate_recovery_codes(&d.browser.ctx, &d.session)
        .await
    {
        Ok(codes) => Ok(passkeys::codes_page(&d, F::FRAME, codes, back)),
        Err(Error::StepUpRequired) => Err(super::step_up::step_up_first(&d.slug, &back)),
        Err(e) => {
            let error = Some(describe(d.catalog(), e));
            let shown = Shown {
                error,
                ..Shown::default()
            };
            render(&d, F::FRAME, shown).await
        }
    }
}
