//! The audit log: filters (actor, target, action, time range), keyset paging, each event
//! expandable to its before/after, and links that export the filtered view.

use askama::Template;
use axum::extract::{Path, State};
use gatehouse_domain::audit::{AuditEvent, AuditFilter};
use gatehouse_domain::principal::{AuditView, UsersView};
use gatehouse_domain::store::UserFilter;
use time::{Date, OffsetDateTime, Time};

use super::context::{Answer, Chrome, Dash, page};
use super::fields::{Fields, Params, query_string};
use super::user::when;
use crate::browser::Browser;
use crate::state::AppState;

/// An event as a row.
#[derive(Debug)]
pub(crate) struct EventRow {
    pub(crate) when: String,
    pub(crate) actor: String,
    pub(crate) actor_kind: String,
    pub(crate) action: String,
    pub(crate) target: String,
    pub(crate) target_kind: String,
    pub(crate) from: String,
    pub(crate) before: Option<String>,
    pub(crate) after: Option<String>,
}

fn pretty(v: Option<&serde_json::Value>) -> Option<String> {
    v.filter(|v| !v.is_null())
        .map(|v| serde_json::to_string_pretty(v).unwrap_or_default())
}

pub(crate) fn event_row(e: &AuditEvent) -> EventRow {
    EventRow {
        when: when(e.occurred_at),
        actor: e.actor.label.clone(),
        actor_kind: e.actor.kind.as_str().replace('_', " "),
        action: e.action.clone(),
        target: e.target.label.clone(),
        target_kind: e.target.kind.replace('_', " "),
        from: e.client_ip.clone().unwrap_or_default(),
        before: pretty(e.before.as_ref()),
        after: pretty(e.after.as_ref()),
    }
}

/// The filter a page's parameters ask for. Emails name users (looked up when the viewer
/// may see users; an unknown email matches nothing); dates are whole UTC days.
pub(crate) async fn filter_of(d: &Dash, q: &Fields) -> AuditFilter {
    AuditFilter {
        actor_id: who(d, q.get("actor")).await,
        target_id: who(d, q.get("target")).await,
        action_prefix: Some(q.get("action").to_owned()).filter(|a| !a.is_empty()),
        from: day(q.get("from")).map(|d| d.with_time(Time::MIDNIGHT).assume_utc()),
        to: day(q.get("to"))
            .and_then(Date::next_day)
            .map(|d| d.with_time(Time::MIDNIGHT).assume_utc()),
        before_id: None,
    }
}

fn day(raw: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(raw, &format).ok()
}

async fn who(d: &Dash, raw: &str) -> Option<String> {
    if raw.is_empty() {
        return None;
    }
    if !raw.contains('@') {
        return Some(raw.to_owned());
    }
    let Ok(view) = d.principal.authorize::<UsersView>() else {
        return Some(raw.to_owned());
    };
    let wanted = raw.to_lowercase();
    let filter = UserFilter {
        query: Some(wanted.clone()),
        ..UserFilter::default()
    };
    let found = d.state.gatehouse.list_users(&view, &filter, None, 5).await;
    Some(
        found
            .ok()
            .and_then(|p| {
                p.items
                    .into_iter()
                    .find(|u| u.email.as_str().to_lowercase() == wanted)
            })
            .map_or_else(|| format!("unknown:{wanted}"), |u| u.id.to_string()),
    )
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

/// The audit log. Requires `audit.view`.
pub(crate) async fn audit_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Answer {
    let (d, access) = Dash::with::<AuditView>(&s, browser, &slug).await?;
    let filter = filter_of(&d, &q).await;
    let cursor = Some(q.get("cursor")).filter(|c| !c.is_empty());
    let events = s
        .gatehouse
        .list_audit_events(&access, filter, cursor, 50)
        .await
        .map_err(|e| d.fail(e, "audit"))?;
    let keep = kept(&q);
    let pairs: Vec<(&str, &str)> = keep.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let here = d.admin("/audit");
    let next = events.next_cursor.as_deref().map(|c| {
        let mut p = pairs.clone();
        p.push(("cursor", c));
        format!("{here}?{}", query_string(&p))
    });
    let qs = query_string(&pairs);
    Ok(page(&AuditPage {
        c: d.chrome("Audit log", "audit"),
        rows: events.items.iter().map(event_row).collect(),
        actor: q.get("actor").to_owned(),
        target: q.get("target").to_owned(),
        action: q.get("action").to_owned(),
        from: q.get("from").to_owned(),
        to: q.get("to").to_owned(),
        filtered: !qs.is_empty(),
        next,
        first: cursor.map(|_| format!("{here}?{qs}")),
        export: qs,
    }))
}

/// Now, for file names of exports.
pub(crate) fn stamp(now: OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year][month][day]-[hour][minute]");
    now.format(&f).unwrap_or_default()
}
