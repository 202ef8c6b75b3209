//! Access reviews in the dashboard: everyone's worklist (the memberships they review, each
//! with what it grants and the member's last sign-in, to keep or remove with a comment), the
//! business's reviews (`audit.view`), and the form that starts one (`reviews.manage`).

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_domain::Error;
use gatehouse_domain::catalog::PermissionKey;
use gatehouse_domain::grants::Grants;
use gatehouse_domain::principal::{AnyMember, AuditView, ReviewsManage, UsersView};
use gatehouse_domain::services::reviews::{Decision, NewReview, ReviewScope, Reviewers};
use gatehouse_domain::types::Email;
use time::{Date, Duration, OffsetDateTime, Time};

use super::super::problems::{FieldMap, Problems};
use super::context::{Answer, Chrome, Dash, DashForm, describe, notice_text, page_with};
use super::fields::{Fields, Params};
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
    /// The groups the start form offers: id, name, ticked.
    groups: Vec<(String, String, bool)>,
    start: StartForm,
}

/// The start form's values: a fresh form's defaults, or what was submitted (kept when it
/// comes back with problems).
struct StartForm {
    name: String,
    scope: String,
    owners: bool,
    reviewers: String,
    due: String,
}

/// The page. Any signed-in member: everyone sees their own worklist.
pub(crate) async fn reviews_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Answer {
    let (d, _) = Dash::with::<AnyMember>(&s, browser, &slug).await?;
    let notice = notice_text(q.get("notice")).map(str::to_owned);
    render(&d, None, Problems::default(), None, notice).await
}

/// The page, with the start form as `submitted` (and its problems) when one came back.
async fn render(
    d: &Dash,
    submitted: Option<&Fields>,
    problems: Problems,
    error: Option<(StatusCode, String)>,
    notice: Option<String>,
) -> Answer {
    let fail = |e| d.fail(e, "access_reviews");
    let gh = &d.state.gatehouse;
    let access = d.principal.authorize::<AnyMember>().map_err(fail)?;
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
    let ticked = submitted.map(|f| f.all("group")).unwrap_or_default();
    let mut groups = Vec::new();
    if let (true, Ok(view)) = (can_start, d.principal.authorize::<UsersView>()) {
        for g in gh.list_groups(&view).await.map_err(fail)? {
            let id = g.id.to_string();
            let on = ticked.contains(&id.as_str());
            groups.push((id, g.name.to_string(), on));
        }
    }
    let start = match submitted {
        Some(f) => StartForm {
            name: f.get("name").to_owned(),
            scope: f.get("scope").to_owned(),
            owners: f.get("owners") == "on",
            reviewers: f.get("reviewers").to_owned(),
            due: f.get("due").to_owned(),
        },
        None => StartForm {
            name: String::new(),
            scope: "all".to_owned(),
            owners: true,
            reviewers: String::new(),
            due: (now + Duration::days(14)).date().to_string(),
        },
    };
    let mut c = d.chrome("Access reviews", "access_reviews");
    c.notice = notice;
    let status = c.outcome(error, problems);
    Ok(page_with(
        status,
        &ReviewsPage {
            c,
            items,
            reviews,
            can_start,
            groups,
            start,
        },
    ))
}

/// The start form's fields, by the domain's names.
const START_FIELDS: FieldMap<'static> = &[
    ("name", "name", "Name"),
    ("scope", "scope", "Scope"),
    ("scope.group_ids", "scope", "Groups"),
    ("reviewers", "reviewers", "Reviewers"),
    ("reviewers.user_ids", "reviewers", "Reviewers"),
    ("due_at", "due", "Due date"),
];

/// The review the start form asks for; what it gets wrong goes to `problems`, field by
/// field, all at once (`None`). Failing to look a reviewer up is an error, not a problem.
async fn new_review(
    d: &Dash,
    form: &Fields,
    problems: &mut Problems,
) -> Result<Option<NewReview>, Error> {
    let scope = match form.get("scope") {
        "all" => Some(ReviewScope::All),
        "sensitive_or_live" => Some(ReviewScope::SensitiveOrLive),
        "groups" => {
            let ids: Result<Vec<_>, _> = form.all("group").into_iter().map(str::parse).collect();
            match ids {
                Ok(group_ids) if !group_ids.is_empty() => Some(ReviewScope::Groups { group_ids }),
                Ok(_) => {
                    problems.add("scope", "Tick at least one group to review.");
                    None
                }
                Err(_) => {
                    problems.add("scope", "A ticked group no longer exists; tick them again.");
                    None
                }
            }
        }
        _ => {
            problems.add("scope", "Choose which groups to review.");
            None
        }
    };
    let mut user_ids = Vec::new();
    let mut reviewers_known = true;
    for raw in form.get("reviewers").split([',', ' ', '\n']) {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let found = match Email::parse(raw) {
            Ok(email) => match user_by_email(d, &email).await {
                Ok(user) => Some(user),
                Err(Error::UserNotFound) => None,
                Err(e) => return Err(e),
            },
            Err(_) => None,
        };
        match found {
            Some(user) if !user_ids.contains(&user.id) => user_ids.push(user.id),
            Some(_) => {}
            None => {
                reviewers_known = false;
                problems.add(
                    "reviewers",
                    format!("Reviewers: no user of the business has the email {raw}."),
                );
            }
        }
    }
    let due = Date::parse(
        form.get("due"),
        time::macros::format_description!("[year]-[month]-[day]"),
    );
    if due.is_err() {
        problems.add("due", "Due date must be a date such as 2026-12-31.");
    }
    let (Some(scope), Ok(due), true) = (scope, due, reviewers_known) else {
        return Ok(None);
    };
    Ok(Some(NewReview {
        name: form.get("name").to_owned(),
        scope,
        reviewers: Reviewers {
            group_owners: form.get("owners") == "on",
            user_ids,
        },
        // The end of the chosen day, UTC.
        due_at: due.with_time(Time::MIDNIGHT).assume_utc() + Duration::days(1)
            - Duration::seconds(1),
    }))
}

/// Starts a review. Requires `reviews.manage` (and `users.view` to name reviewers). A form
/// with problems comes back with each beside its field and what was typed kept.
pub(crate) async fn start_review(
    State(s): State<AppState>,
    DashForm(d, access, form): DashForm<ReviewsManage>,
) -> Answer {
    let mut problems = Problems::default();
    let new = new_review(&d, &form, &mut problems)
        .await
        .map_err(|e| d.fail(e, "access_reviews"))?;
    let Some(new) = new else {
        return render(&d, Some(&form), problems, None, None).await;
    };
    match s
        .gatehouse
        .start_access_review(&access, &d.browser.ctx, &new)
        .await
    {
        Ok(review) => Ok(d.done(
            &d.admin(&format!("/access-reviews/{}", review.id)),
            "review_started",
        )),
        Err(e) => {
            let error = problems
                .take(e, START_FIELDS)
                .map(|e| describe(d.catalog(), e));
            render(&d, Some(&form), problems, error, None).await
        }
    }
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
