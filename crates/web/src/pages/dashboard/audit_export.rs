//! Exports of the audit log's filtered view, as CSV and as JSON Lines: every matching event,
//! newest first, read page by page (up to a bound that keeps one export from hogging a node).

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::principal::AuditView;

use super::audit::{refused, stamp};
use super::audit_filter::filter_of;
use super::context::{Answer, Dash};
use super::fields::Params;
use crate::browser::Browser;
use crate::state::AppState;

/// The most events one export holds.
const MAX_EVENTS: usize = 100_000;

async fn events(d: &Dash, q: &Params) -> Answer<Vec<AuditEvent>> {
    let access = d
        .principal
        .authorize::<AuditView>()
        .map_err(|e| d.fail(e, "audit"))?;
    let filter = filter_of(d, q).await.map_err(|p| refused(d, q, p))?;
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = d
            .state
            .gatehouse
            .list_audit_events(&access, filter.clone(), cursor.as_deref(), 500)
            .await
            .map_err(|e| d.fail(e, "audit"))?;
        out.extend(page.items);
        match page.next_cursor {
            Some(next) if out.len() < MAX_EVENTS => cursor = Some(next),
            _ => break,
        }
    }
    out.truncate(MAX_EVENTS);
    Ok(out)
}

/// A file to download, named `<what>-<business>-<time>.<ext>`, never cached.
pub(crate) fn download(
    d: &Dash,
    what: &str,
    body: String,
    mime: &'static str,
    ext: &str,
) -> Response {
    let name = format!(
        "attachment; filename=\"{what}-{}-{}.{ext}\"",
        d.slug,
        stamp(d.state.gatehouse.now())
    );
    let mut r = ([(header::CONTENT_TYPE, mime)], body).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// One CSV field, quoted when it must be; a leading formula character is defused so a
/// spreadsheet does not run it.
pub(crate) fn csv_field(raw: &str) -> String {
    let defused = if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{raw}")
    } else {
        raw.to_owned()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

fn json_text(v: Option<&serde_json::Value>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The filtered audit log as CSV. Requires `audit.view`.
pub(crate) async fn export_csv(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Answer {
    let (d, _access) = Dash::with::<AuditView>(&s, browser, &slug).await?;
    let mut body = String::from(
        "id,occurred_at,actor_kind,actor_id,actor,action,target_kind,target_id,target,client_ip,request_id,before,after\r\n",
    );
    for e in events(&d, &q).await? {
        let fields = [
            e.id.to_string(),
            super::user::when(e.occurred_at),
            e.actor.kind.as_str().to_owned(),
            e.actor.id.clone().unwrap_or_default(),
            e.actor.label.clone(),
            e.action.clone(),
            e.target.kind.clone(),
            e.target.id.clone(),
            e.target.label.clone(),
            e.client_ip.clone().unwrap_or_default(),
            e.request_id.clone().unwrap_or_default(),
            json_text(e.before.as_ref()),
            json_text(e.after.as_ref()),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        body.push_str(&line.join(","));
        body.push_str("\r\n");
    }
    Ok(download(
        &d,
        "audit",
        body,
        "text/csv; charset=utf-8",
        "csv",
    ))
}

/// The filtered audit log as JSON Lines, one event (as the API answers it) a line.
/// Requires `audit.view`.
pub(crate) async fn export_jsonl(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Answer {
    let (d, _access) = Dash::with::<AuditView>(&s, browser, &slug).await?;
    let mut body = String::new();
    for e in events(&d, &q).await? {
        body.push_str(&serde_json::to_string(&e).unwrap_or_default());
        body.push('\n');
    }
    Ok(download(&d, "audit", body, "application/x-ndjson", "jsonl"))
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
    }
}
