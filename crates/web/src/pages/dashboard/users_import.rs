//! Importing users from a file in the dashboard: paste (or pick, with the script) a CSV or
//! JSON Lines file, review the dry run — every row with what it will do, refused rows with
//! their line and why — then confirm. The confirmed import runs only if a new dry run still
//! says exactly what the review showed; otherwise the review is shown again.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_domain::principal::UsersManage;
use gatehouse_domain::services::{
    GROUP_SEPARATOR, ImportCounts, ImportFormat, ImportReport, RowAction,
};
use sha2::{Digest, Sha256};

use super::context::{Answer, Chrome, Dash, DashForm, describe, page_with};
use super::fields::Fields;
use crate::browser::Browser;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "dashboard/import.html")]
struct ImportPage {
    c: Chrome,
    file: String,
    jsonl: bool,
    separator: char,
}

/// One row of the review.
#[derive(Debug)]
struct Line {
    line: u64,
    email: String,
    action: &'static str,
    what: String,
}

#[derive(Template)]
#[template(path = "dashboard/import_review.html")]
struct ReviewPage {
    c: Chrome,
    /// Whether this is the report of the import itself (no confirmation left).
    done: bool,
    counts: ImportCounts,
    lines: Vec<Line>,
    file: String,
    format: &'static str,
    reviewed: String,
}

/// The import form. Requires `users.manage`.
pub(crate) async fn import_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
) -> Answer {
    let (d, _access) = Dash::with::<UsersManage>(&s, browser, &slug).await?;
    Ok(form_page(&d, &Fields::default(), None))
}

fn form_page(
    d: &Dash,
    form: &Fields,
    error: Option<(StatusCode, String)>,
) -> axum::response::Response {
    let mut c = d.chrome("Import users", "users");
    let status = error.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    c.error = error.map(|(_, text)| text);
    page_with(
        status,
        &ImportPage {
            c,
            file: form.raw("file").to_owned(),
            jsonl: form.get("format") == "jsonl",
            separator: GROUP_SEPARATOR,
        },
    )
}

/// What the review showed, so the confirmation holds only for exactly that.
fn fingerprint(report: &ImportReport) -> String {
    let rows = serde_json::to_vec(&report.rows).unwrap_or_default();
    data_encoding::HEXLOWER.encode(&Sha256::digest(rows))
}

fn lines(report: &ImportReport) -> Vec<Line> {
    report
        .rows
        .iter()
        .map(|r| {
            let (action, what) = match r.action {
                RowAction::Create => ("Create", changes(r.name.as_deref(), &r.groups_added)),
                RowAction::Update => ("Update", changes(r.name.as_deref(), &r.groups_added)),
                RowAction::Skip => ("Skip", "already as in the file".to_owned()),
                RowAction::Error => (
                    "Error",
                    r.error
                        .as_ref()
                        .map(|e| e.message.clone())
                        .unwrap_or_default(),
                ),
            };
            Line {
                line: r.line,
                email: r.email.clone().unwrap_or_default(),
                action,
                what,
            }
        })
        .collect()
}

fn changes(name: Option<&str>, groups: &[String]) -> String {
    let mut parts = Vec::new();
    if let Some(name) = name.filter(|n| !n.is_empty()) {
        parts.push(format!("name “{name}”"));
    }
    if !groups.is_empty() {
        parts.push(format!("joins {}", groups.join(", ")));
    }
    parts.join("; ")
}

/// Reviews the file (a dry run), or imports it once the review is confirmed. Requires
/// `users.manage` (and the rights of each group a row adds someone to: no escalation).
pub(crate) async fn import_users(
    State(s): State<AppState>,
    DashForm(d, access, form): DashForm<UsersManage>,
) -> Answer {
    let format = ImportFormat::parse(form.get("format")).unwrap_or(ImportFormat::Csv);
    let file = form.raw("file");
    let gh = &s.gatehouse;
    let ctx = &d.browser.ctx;
    let dry = match gh
        .import_users(&access, ctx, format, file.as_bytes(), true, &|_| {})
        .await
    {
        Ok(dry) => dry,
        Err(e) => return Ok(form_page(&d, &form, Some(describe(d.catalog(), e)))),
    };
    let fresh = fingerprint(&dry);
    let confirmed = form.get("step") == "confirm";
    if confirmed && form.get("reviewed") == fresh {
        let done = gh
            .import_users(&access, ctx, format, file.as_bytes(), false, &|_| {})
            .await
            .map_err(|e| d.fail(e, "users"))?;
        let mut c = d.chrome("Users imported", "users");
        c.notice = Some(format!(
            "Imported: {} created, {} updated, {} unchanged, {} refused.",
            done.counts.created, done.counts.updated, done.counts.skipped, done.counts.errors
        ));
        return Ok(review(c, true, &done, file, format, String::new()));
    }
    let mut c = d.chrome("Review the import", "users");
    if confirmed {
        c.error = Some(
            "The users changed since your review, so nothing was imported: check what the file does now."
                .to_owned(),
        );
    }
    Ok(review(c, false, &dry, file, format, fresh))
}

fn review(
    c: Chrome,
    done: bool,
    report: &ImportReport,
    file: &str,
    format: ImportFormat,
    reviewed: String,
) -> axum::response::Response {
    page_with(
        StatusCode::OK,
        &ReviewPage {
            c,
            done,
            counts: report.counts,
            lines: lines(report),
            file: file.to_owned(),
            format: format.as_str(),
            reviewed,
        },
    )
}
