//! The Users list's filtered view as CSV: every matching user (in the list's order), read
//! page by page up to a bound that keeps one export from hogging a node.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use gatehouse_domain::principal::UsersView;

use super::audit::stamp;
use super::audit_export::csv_field;
use super::context::{Answer, Dash};
use super::fields::Params;
use super::user::when;
use super::users::{filter_from, status_label};
use crate::browser::Browser;
use crate::state::AppState;

/// The most users one export holds.
const MAX_USERS: usize = 200_000;

/// The filtered users as CSV. Requires `users.view`.
pub(crate) async fn export_csv(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Answer {
    let (d, access) = Dash::with::<UsersView>(&s, browser, &slug).await?;
    let filter = filter_from(&q);
    let mut body = String::from("id,email,name,status,mfa,groups,invited_at,joined_at\r\n");
    let mut cursor: Option<String> = None;
    let mut count = 0;
    loop {
        let page = s
            .gatehouse
            .list_users(&access, &filter, cursor.as_deref(), 500)
            .await
            .map_err(|e| d.fail(e, "users"))?;
        for u in &page.items {
            let groups: Vec<&str> = u.groups.iter().map(|g| g.name.as_str()).collect();
            let fields = [
                u.id.to_string(),
                u.email.to_string(),
                u.display_name.to_string(),
                status_label(u.status).to_owned(),
                if u.mfa_enrolled { "enrolled" } else { "" }.to_owned(),
                groups.join("; "),
                when(u.created_at),
                u.activated_at.map(when).unwrap_or_default(),
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            body.push_str(&line.join(","));
            body.push_str("\r\n");
        }
        count += page.items.len();
        match page.next_cursor {
            Some(next) if count < MAX_USERS => cursor = Some(next),
            _ => break,
        }
    }
    let name = format!(
        "attachment; filename=\"users-{}-{}.csv\"",
        d.slug,
        stamp(s.gatehouse.now())
    );
    let mut r = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(r)
}
