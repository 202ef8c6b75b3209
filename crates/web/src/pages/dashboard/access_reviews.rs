//! Access reviews in the dashboard: everyone's worklist (the memberships they review, each
//! with what it grants and the member's last sign-in, to keep or remove with a comment), the
//! business's reviews (`audit.view`), and the form that starts one (`reviews.manage`).

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Path, State};
use gatehouse_domain::Error;
use gatehouse_domain::catalog::PermissionKey;
use gatehouse_domain::grants::Grants;
use gatehouse_domain::principal::{AnyMember, AuditView, ReviewsManage, UsersView};
use gatehouse_domain::services::reviews::{Decision, NewReview, ReviewScope, Reviewers};
use gatehouse_domain::types::Email;
use time::{Date, Duration, OffsetDateTime, Time};

use super::context::{Answer, Chrome, Dash, DashForm, notice_text, page};
use super::fields::Params;
use super::group_members::user_by_email;
use super::user::when;
use crate::browser::Browser;
use crate::state::AppState;

/// One scope of a grant set, `name: a, b`, if it holds anything.
fn part(name: &str, keys: &BTreeSet<PermissionKey>) -> Option<String> {
    (!keys.is_empty()).then(|| {
        let keys: Vec<&str> = keys.iter().map(PermissionKey::as_str).collect();
        format!("{name}: {}", keys.join(", "))
    })
}

/// What a membership grants, in one line: `business: …; live: …; sandbox: …`.
pub(crate) fn grants_line(g: &Grants) -> String {
    let parts: Vec<String> = [
        part("business", &g.business),
        part("live", &g.live),
        part("sandbox", &g.sandbox),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "nothing".to_owned()
    } else {
        parts.join("; ")
    }
}

/// A time or "never".
pub(crate) fn when_or_never(t: Option<OffsetDateTime>) -> String {
    t.map_or_else(|| "never".to_owned(), when)
}

struct ItemRow {
    review_id: String,
    id: String,
    group: String,
    email: String,
    grants: String,
    last_sign_in: String,
}

struct ReviewRow {
    id: String,
    name: String,
    state: &'static str,
    due: String,
    overdue: bool,
    progress: String,
}

#[derive(Template)]
#[template(path = "dashboard/access_reviews.html")]
struct ReviewsPage {
    c: Chrome,
    items: Vec<ItemRow>,
    reviews: Vec<ReviewRow>,
    can_start: bool,
    /// The groups the start form offers: id, name.
    groups: Vec<(String, String)>,
    due: String,
}

/// The page. Any signed-in member: everyone sees their own worklist.
pub(crate) async fn reviews_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Answer {
    let (d, access) = Dash::with::<AnyMember>(&s, browser, &slug).await?;
    let fail = |e| d.fail(e, "access_reviews");
    let gh = &s.gatehouse;
    let items = gh
        .list_my_review_items(&access)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|i| ItemRow {
            review_id: i.review_id.to_string(),
            id: i.id.to_string(),
            group: i.group_name,
            email: i.email,
            grants: grants_line(&i.permissions),
            last_sign_in: when_or_never(i.last_sign_in),
        })
        .collect();
    let now = gh.now();
    let mut reviews = Vec::new();
    if let Ok(view) = d.principal.authorize::<AuditView>() {
        for r in gh.list_access_reviews(&view).await.map_err(fail)? {
            reviews.push(ReviewRow {
                id: r.id.to_string(),
                name: r.name,
                state: r.state.as_str(),
                due: when(r.due_at),
                overdue: r.closed_at.is_none() && r.due_at <= now,
                progress: format!("{} of {} decided", r.items_decided, r.items_total),
            });
        }
    }
    let can_start = d.principal.authorize::<ReviewsManage>().is_ok();
    let mut groups = Vec::new();
    if let (true, Ok(view)) = (can_start, d.principal.authorize::<UsersView>()) {
        for g in gh.list_groups(&view).await.map_err(fail)? {
            groups.push((g.id.to_string(), g.name.to_string()));
        }
    }
    let mut c = d.chrome("Access reviews", "access_reviews");
    c.notice = notice_text(q.get("notice")).map(str::to_owned);
    let due = (now + Duration::days(14)).date().to_string();
    Ok(page(&ReviewsPage {
        c,
        items,
        reviews,
        can_start,
        groups,
        due,
    }))
}

/// The review the start form asks for.
async fn new_review(d: &Dash, form: &super::fields::Fields) -> Result<NewReview, Error> {
    let scope = match form.get("scope") {
        "all" => ReviewScope::All,
        "sensitive_or_live" => ReviewScope::SensitiveOrLive,
        "groups" => ReviewScope::Groups {
            group_ids: form
                .all("group")
                .into_iter()
                .map(|g| g.parse().map_err(|_| Error::GroupNotFound))
                .collect::<Result<_, _>>()?,
        },
        _ => {
            return Err(Error::invalid(
                "invalid_review_scope",
                "scope",
                "choose which groups to review",
            ));
        }
    };
    let mut user_ids = Vec::new();
    for raw in form.get("reviewers").split([',', ' ', '\n']) {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let email = Email::parse(raw)?;
        let user = user_by_email(d, &email).await?;
        if !user_ids.contains(&user.id) {
            user_ids.push(user.id);
        }
    }
    let due = Date::parse(
        form.get("due"),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| Error::invalid("invalid_due_date", "due_at", "a date such as 2026-12-31"))?;
    Ok(NewReview {
        name: form.get("name").to_owned(),
        scope,
        reviewers: Reviewers {
            group_owners: form.get("owners") == "on",
            user_ids,
        },
        // The end of the chosen day, UTC.
        due_at: due.with_time(Time::MIDNIGHT).assume_utc() + Duration::days(1)
            - Duration::seconds(1),
    })
}

/// Starts a review. Requires `reviews.manage` (and `users.view` to name reviewers).
pub(crate) async fn start_review(
    State(s): State<AppState>,
    DashForm(d, access, form): DashForm<ReviewsManage>,
) -> Answer {
    let fail = |e| d.fail(e, "access_reviews");
    let new = new_review(&d, &form).await.map_err(fail)?;
    let review = s
        .gatehouse
        .start_access_review(&access, &d.browser.ctx, &new)
        .await
        .map_err(fail)?;
    Ok(d.done(
        &d.admin(&format!("/access-reviews/{}", review.id)),
        "review_started",
    ))
}

/// Keeps or removes one membership of the signed-in reviewer's worklist.
pub(crate) async fn decide(
    State(s): State<AppState>,
    Path((_, review, item)): Path<(String, String, String)>,
    DashForm(d, access, form): DashForm<AnyMember>,
) -> Answer {
    let fail = |e| d.fail(e, "access_reviews");
    let review = review
        .parse()
        .map_err(|_| fail(Error::ReviewItemNotFound))?;
    let item = item.parse().map_err(|_| fail(Error::ReviewItemNotFound))?;
    let decision = Decision::parse(form.get("decision")).ok_or_else(|| {
        fail(Error::invalid(
            "invalid_decision",
            "decision",
            "keep or remove",
        ))
    })?;
    s.gatehouse
        .decide_review_item(
            &access,
            &d.browser.ctx,
            review,
            item,
            decision,
            form.get("comment"),
        )
        .await
        .map_err(fail)?;
    let notice = match decision {
        Decision::Keep => "review_decided",
        Decision::Remove => "review_removed",
    };
    Ok(d.done(&d.admin("/access-reviews"), notice))
}
