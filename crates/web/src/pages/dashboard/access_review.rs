//! One access review: every item with its decision, closing it (`reviews.manage`), and its
//! report once closed, downloadable as CSV or JSON (the API serves the same CSV).

use std::collections::{BTreeSet, HashMap};

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use gatehouse_domain::Error;
use gatehouse_domain::ids::{AccessReviewId, UserId};
use gatehouse_domain::principal::{AuditView, ReviewsManage, UsersView};
use gatehouse_domain::services::reviews::{ReviewItem, ReviewReport, ReviewState};

use super::access_reviews::{grants_line, when_or_never};
use super::audit_export::{csv_field, download};
use super::context::{Answer, Chrome, Dash, DashForm, notice_text, page};
use super::fields::Params;
use super::user::when;
use crate::browser::Browser;
use crate::state::AppState;

struct Row {
    group: String,
    email: String,
    grants: String,
    last_sign_in: String,
    reviewers: String,
    outcome: &'static str,
    comment: String,
    decided: String,
}

#[derive(Template)]
#[template(path = "dashboard/access_review.html")]
struct ReviewPage {
    c: Chrome,
    id: String,
    state: &'static str,
    open: bool,
    can_close: bool,
    started: String,
    due: String,
    closed: String,
    progress: String,
    rows: Vec<Row>,
}

/// The review. Requires `audit.view`.
pub(crate) async fn review_page(
    State(s): State<AppState>,
    browser: Browser,
    Path((slug, id)): Path<(String, String)>,
    q: Params,
) -> Answer {
    let (d, access) = Dash::with::<AuditView>(&s, browser, &slug).await?;
    let id = id
        .parse::<AccessReviewId>()
        .map_err(|_| d.fail(Error::AccessReviewNotFound, "access_reviews"))?;
    let detail = s
        .gatehouse
        .get_access_review(&access, id)
        .await
        .map_err(|e| d.fail(e, "access_reviews"))?;
    let r = detail.review;
    let emails = reviewer_emails(&d, &detail.items).await;
    let rows = detail
        .items
        .into_iter()
        .map(|i| Row {
            reviewers: reviewers_line(&i.reviewer_ids, &emails),
            group: i.group_name,
            email: i.email,
            grants: grants_line(&i.permissions),
            last_sign_in: when_or_never(i.last_sign_in),
            outcome: i.decision.map_or("no_decision", |x| x.as_str()),
            comment: i.comment.unwrap_or_default(),
            decided: match (i.decided_at, i.decided_by) {
                (Some(at), Some(by)) => format!("{} by {by}", when(at)),
                _ => String::new(),
            },
        })
        .collect();
    let mut c = d.chrome(&r.name, "access_reviews");
    c.notice = notice_text(q.get("notice")).map(str::to_owned);
    let open = r.state == ReviewState::Open;
    Ok(page(&ReviewPage {
        id: r.id.to_string(),
        state: r.state.as_str(),
        open,
        can_close: open && d.principal.authorize::<ReviewsManage>().is_ok(),
        started: format!("{} by {}", when(r.started_at), r.started_by),
        due: when(r.due_at),
        closed: match (r.closed_at, r.closed_by) {
            (Some(at), Some(by)) => format!("{} by {by}", when(at)),
            _ => String::new(),
        },
        progress: format!("{} of {} decided", r.items_decided, r.items_total),
        rows,
        c,
    }))
}

/// The reviewers' emails by id, when the viewer may see users (else none: counts show).
async fn reviewer_emails(d: &Dash, items: &[ReviewItem]) -> HashMap<UserId, String> {
    let Ok(view) = d.principal.authorize::<UsersView>() else {
        return HashMap::new();
    };
    let ids: BTreeSet<UserId> = items
        .iter()
        .flat_map(|i| i.reviewer_ids.iter().copied())
        .collect();
    let ids: Vec<UserId> = ids.into_iter().collect();
    d.state
        .gatehouse
        .get_users(&view, &ids)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|u| (u.id, u.email.to_string()))
        .collect()
}

/// Who reviews an item: their emails, or how many when they cannot be shown.
fn reviewers_line(ids: &[UserId], emails: &HashMap<UserId, String>) -> String {
    let mut known: Vec<&str> = ids
        .iter()
        .filter_map(|id| emails.get(id).map(String::as_str))
        .collect();
    known.sort_unstable();
    match (known.len(), ids.len()) {
        (_, 0) => "nobody".to_owned(),
        (k, n) if k == n => known.join(", "),
        (_, 1) => "1 reviewer".to_owned(),
        (_, n) => format!("{n} reviewers"),
    }
}

/// Closes the review and stores its report. Requires `reviews.manage`.
pub(crate) async fn close(
    State(s): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    DashForm(d, access, _form): DashForm<ReviewsManage>,
) -> Answer {
    let id = id
        .parse::<AccessReviewId>()
        .map_err(|_| d.fail(Error::AccessReviewNotFound, "access_reviews"))?;
    s.gatehouse
        .close_access_review(&access, &d.browser.ctx, id)
        .await
        .map_err(|e| d.fail(e, "access_reviews"))?;
    Ok(d.done(&d.admin(&format!("/access-reviews/{id}")), "review_closed"))
}

async fn report(
    s: &AppState,
    browser: Browser,
    slug: &str,
    id: &str,
) -> Answer<(Dash, ReviewReport)> {
    let (d, access) = Dash::with::<AuditView>(s, browser, slug).await?;
    let id = id
        .parse::<AccessReviewId>()
        .map_err(|_| d.fail(Error::AccessReviewNotFound, "access_reviews"))?;
    let report = s
        .gatehouse
        .access_review_report(&access, id)
        .await
        .map_err(|e| d.fail(e, "access_reviews"))?;
    Ok((d, report))
}

/// The report as CSV. Requires `audit.view`.
pub(crate) async fn export_csv(
    State(s): State<AppState>,
    browser: Browser,
    Path((slug, id)): Path<(String, String)>,
) -> Answer<Response> {
    let (d, r) = report(&s, browser, &slug, &id).await?;
    let body = review_report_csv(&r);
    Ok(download(
        &d,
        "access-review",
        body,
        "text/csv; charset=utf-8",
        "csv",
    ))
}

/// The report as JSON (the API's `GET …/report`). Requires `audit.view`.
pub(crate) async fn export_json(
    State(s): State<AppState>,
    browser: Browser,
    Path((slug, id)): Path<(String, String)>,
) -> Answer<Response> {
    let (d, r) = report(&s, browser, &slug, &id).await?;
    let body = serde_json::to_string_pretty(&r)
        .map_err(|e| d.fail(Error::Storage(e.to_string()), "access_reviews"))?;
    Ok(download(
        &d,
        "access-review",
        body,
        "application/json",
        "json",
    ))
}

/// A report as CSV: one row per membership reviewed, with who decided what, when.
pub(crate) fn review_report_csv(r: &ReviewReport) -> String {
    let mut out = String::from(
        "review,group_id,group,user_id,email,permissions,last_sign_in,outcome,comment,decided_by,decided_at\r\n",
    );
    for l in &r.lines {
        let fields = [
            r.review.name.clone(),
            l.group_id.to_string(),
            l.group.clone(),
            l.user_id.to_string(),
            l.email.clone(),
            grants_line(&l.permissions),
            l.last_sign_in
                .map(gatehouse_domain::clock::rfc3339)
                .unwrap_or_default(),
            l.outcome.as_str().to_owned(),
            l.comment.clone().unwrap_or_default(),
            l.decided_by.clone().unwrap_or_default(),
            l.decided_at
                .map(gatehouse_domain::clock::rfc3339)
                .unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|x| csv_field(x)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}
