//! The administrators' inbox of requests for temporary access: pending requests with who
//! asks, for which group, how long and why, to approve (the temporary membership starts
//! then) or deny; then the decided ones.

use askama::Template;
use axum::extract::{Path, State};
use gatehouse_domain::Error;
use gatehouse_domain::principal::GroupsManage;
use gatehouse_domain::services::temporary::RequestStatus;

use super::context::{Answer, Chrome, Dash, DashForm, notice_text, page};
use super::fields::Params;
use super::user::when;
use crate::browser::Browser;
use crate::state::AppState;

struct Row {
    id: String,
    email: String,
    user_id: String,
    group: String,
    group_id: String,
    hours: String,
    reason: String,
    status: &'static str,
    pending: bool,
    asked: String,
    decided: String,
}

#[derive(Template)]
#[template(path = "dashboard/access_requests.html")]
struct InboxPage {
    c: Chrome,
    rows: Vec<Row>,
    pending: usize,
}

fn hours(secs: i64) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{} day(s)", s / 86_400),
        s if s % 3_600 == 0 => format!("{} hour(s)", s / 3_600),
        s => format!("{} min", s / 60),
    }
}

/// The inbox. Requires `groups.manage`.
pub(crate) async fn inbox_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Answer {
    let (d, access) = Dash::with::<GroupsManage>(&s, browser, &slug).await?;
    let all = s
        .gatehouse
        .list_access_requests(&access)
        .await
        .map_err(|e| d.fail(e, "access_requests"))?;
    let rows: Vec<Row> = all
        .into_iter()
        .map(|r| Row {
            id: r.id.to_string(),
            email: r.email.to_string(),
            user_id: r.user_id.to_string(),
            group: r.group_name.to_string(),
            group_id: r.group_id.to_string(),
            hours: hours(r.duration_seconds),
            reason: r.reason,
            status: r.status.as_str(),
            pending: r.status == RequestStatus::Pending,
            asked: when(r.created_at),
            decided: match (r.decided_at, &r.decided_by) {
                (Some(at), Some(by)) => format!("{} by {by}", when(at)),
                _ => String::new(),
            },
        })
        .collect();
    let mut c = d.chrome("Access requests", "access_requests");
    c.notice = notice_text(q.get("notice")).map(str::to_owned);
    Ok(page(&InboxPage {
        c,
        pending: rows.iter().filter(|r| r.pending).count(),
        rows,
    }))
}

/// Approves or denies one request (`decision` is `approve` or `deny`). Requires
/// `groups.manage`; approving also the group's rights, and never one's own request.
pub(crate) async fn decide(
    State(s): State<AppState>,
    Path((_, id, decision)): Path<(String, String, String)>,
    DashForm(d, access, _form): DashForm<GroupsManage>,
) -> Answer {
    let fail = |e| d.fail(e, "access_requests");
    let id = id.parse().map_err(|_| fail(Error::AccessRequestNotFound))?;
    let approve = match decision.as_str() {
        "approve" => true,
        "deny" => false,
        _ => return Err(fail(Error::AccessRequestNotFound)),
    };
    s.gatehouse
        .decide_access_request(&access, &d.browser.ctx, id, approve)
        .await
        .map_err(fail)?;
    let notice = if approve {
        "request_approved"
    } else {
        "request_denied"
    };
    Ok(d.done(&d.admin("/access-requests"), notice))
}
