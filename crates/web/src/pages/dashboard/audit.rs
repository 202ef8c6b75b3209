//! The audit log: filters (actor, target, action, time range; bad ones refused beside their
//! field), keyset paging, each event as a sentence with what changed, and links that export
//! the filtered view.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::ids::UserId;
use gatehouse_domain::principal::{ActorKind, AuditView, UsersView};
use time::OffsetDateTime;

use super::super::problems::Problems;
use super::audit_filter::filter_of;
use super::audit_words::{Change, Names, changes, sentence};
use super::context::{Answer, Chrome, Dash, page_with};
use super::fields::{Fields, Params, query_string};
use super::user::when;
use crate::browser::Browser;
use crate::state::AppState;

/// An event as a row.
#[derive(Debug)]
pub(crate) struct EventRow {
    pub(crate) when: String,
    pub(crate) sentence: String,
    pub(crate) action: String,
    pub(crate) from: String,
    pub(crate) changes: Vec<Change>,
}

/// The names of the users the events mention (actors and targets), when the viewer may
/// see users; one query per page.
pub(crate) async fn names(d: &Dash, events: &[AuditEvent]) -> Names {
    let Ok(view) = d.principal.authorize::<UsersView>() else {
        return Names::new();
    };
    let mut ids: Vec<UserId> = events
        .iter()
        .flat_map(|e| {
            let actor = e
                .actor
                .id
                .as_deref()
                .filter(|_| e.actor.kind == ActorKind::User);
            let target = (e.target.kind == "user").then_some(e.target.id.as_str());
            [actor, target]
        })
        .flatten()
        .filter_map(|id| id.parse().ok())
        .collect();
    ids.sort();
    ids.dedup();
    let users = d
        .state
        .gatehouse
        .get_users(&view, &ids)
        .await
        .unwrap_or_default();
    users
        .into_iter()
        .map(|u| {
            let name = if u.display_name.as_str().is_empty() {
                u.email.to_string()
            } else {
                u.display_name.to_string()
            };
            (u.id.to_string(), name)
        })
        .collect()
}

pub(crate) fn event_row(d: &Dash, names: &Names, e: &AuditEvent) -> EventRow {
    EventRow {
        when: when(e.occurred_at),
        sentence: sentence(e, names),
        action: e.action.clone(),
        from: e.client_ip.clone().unwrap_or_default(),
        changes: changes(d.catalog(), e),
    }
}

/// The filter parameters of a page, to carry into links.
pub(crate) fn kept(q: &Fields) -> Vec<(&'static str, String)> {
    ["actor", "target", "action", "from", "to"]
        .into_iter()
        .map(|k| (k, q.get(k).to_owned()))
        .collect()
}

#[derive(Template)]
#[template(path = "dashboard/audit.html")]
struct AuditPage {
    c: Chrome,
    rows: Vec<EventRow>,
    actor: String,
    target: String,
    action: String,
    from: String,
    to: String,
    filtered: bool,
    next: Option<String>,
    first: Option<String>,
    export: String,
}

fn render(
    d: &Dash,
    q: &Fields,
    rows: Vec<EventRow>,
    links: (Option<String>, Option<String>),
    problems: Problems,
) -> Response {
    let keep = kept(q);
    let pairs: Vec<(&str, &str)> = keep.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let qs = query_string(&pairs);
    let mut c = d.chrome("Audit log", "audit");
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    c.problems = problems;
    page_with(
        status,
        &AuditPage {
            c,
            rows,
            actor: q.get("actor").to_owned(),
            target: q.get("target").to_owned(),
            action: q.get("action").to_owned(),
            from: q.get("from").to_owned(),
            to: q.get("to").to_owned(),
            filtered: !qs.is_empty(),
            next: links.0,
            first: links.1,
            export: qs,
        },
    )
}

/// The page showing what is wrong with its filters (and no events).
pub(crate) fn refused(d: &Dash, q: &Fields, problems: Problems) -> Response {
    render(d, q, Vec::new(), (None, None), problems)
}

/// The audit log. Requires `audit.view`.
pub(crate) async fn audit_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Answer {
    let (d, access) = Dash::with::<AuditView>(&s, browser, &slug).await?;
    let filter = match filter_of(&d, &q).await {
        Ok(f) => f,
        Err(problems) => return Ok(refused(&d, &q, problems)),
    };
    let cursor = Some(q.get("cursor")).filter(|c| !c.is_empty());
    let events = match s
        .gatehouse
        .list_audit_events(&access, filter, cursor, 50)
        .await
    {
        Ok(page) => page,
        Err(e) => return Err(d.fail(e, "audit")),
    };
    let keep = kept(&q);
    let pairs: Vec<(&str, &str)> = keep.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let here = d.admin("/audit");
    let next = events.next_cursor.as_deref().map(|c| {
        let mut p = pairs.clone();
        p.push(("cursor", c));
        format!("{here}?{}", query_string(&p))
    });
    let first = cursor.map(|_| format!("{here}?{}", query_string(&pairs)));
    let names = names(&d, &events.items).await;
    let rows = events
        .items
        .iter()
        .map(|e| event_row(&d, &names, e))
        .collect();
    Ok(render(&d, &q, rows, (next, first), Problems::default()))
}

/// Now, for file names of exports.
pub(crate) fn stamp(now: OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year][month][day]-[hour][minute]");
    now.format(&f).unwrap_or_default()
}
