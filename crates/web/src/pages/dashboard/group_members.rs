//! A group's members tab: the members, adding a user by email and removing one, each after
//! a review of what that person gains or loses.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_domain::Error;
use gatehouse_domain::authz::preview::GroupChange;
use gatehouse_domain::model::{Group, User};
use gatehouse_domain::principal::{BusinessAccess, GroupsManage, UsersView};
use gatehouse_domain::store::UserFilter;
use gatehouse_domain::types::Email;
use time::OffsetDateTime;

use super::super::problems::{FieldMap, Problems};
use super::access_end::{DURATIONS, end_text, requested_end, time_left};
use super::context::{Answer, Chrome, Dash, DashForm, describe, notice_text, page_with};
use super::fields::{Fields, Params, query_string};
use super::group_editor::group_of;
use super::group_form::{EffectLine, effect_lines};
use super::groups::leaving;
use super::self_loss;
use super::users::{UserRow, row};
use crate::browser::Browser;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "dashboard/group_members.html")]
struct MembersPage {
    c: Chrome,
    id: String,
    members: i64,
    rows: Vec<UserRow>,
    next: Option<String>,
    email: String,
    /// The "Access" choices: value, label, whether chosen.
    durations: Vec<(&'static str, &'static str, bool)>,
    until: String,
    /// The group's owners (its reviewers in access reviews): id, email.
    owners: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "dashboard/member_review.html")]
struct MemberReview {
    c: Chrome,
    action: String,
    email: String,
    adding: bool,
    group: String,
    lines: Vec<EffectLine>,
    cancel: String,
    warn_self: Option<String>,
    /// The end of the access being added, as the form gave it, and in words.
    duration: String,
    until: String,
    ends: Option<String>,
}

type Failure = Option<(StatusCode, String)>;

/// How the add-member form names the domain's fields.
const FIELDS: FieldMap<'static> = &[
    ("email", "email", "Email"),
    ("expires_at", "duration", "Access"),
];

async fn render(
    d: &Dash,
    g: &Group,
    cursor: Option<&str>,
    form: Option<&Fields>,
    error: Failure,
    notice: Option<&str>,
    problems: Problems,
) -> Answer {
    let view = d
        .principal
        .authorize::<UsersView>()
        .map_err(|e| d.fail(e, "groups"))?;
    let members = d
        .state
        .gatehouse
        .list_group_members(&view, g.id, cursor, 50)
        .await
        .map_err(|e| d.fail(e, "groups"))?;
    let here = d.admin(&format!("/groups/{}/members", g.id));
    // Temporary memberships show their time left, from the snapshot checks read.
    let snap = d
        .state
        .gatehouse
        .access_snapshot(&view)
        .await
        .map_err(|e| d.fail(e, "groups"))?;
    let now = d.state.gatehouse.now();
    let rows = members
        .items
        .iter()
        .map(|u| UserRow {
            access_ends: snap
                .membership_end(u.id, g.id)
                .map(|end| (time_left(now, end), end_text(end))),
            ..row(d, u)
        })
        .collect();
    let owners = d
        .state
        .gatehouse
        .list_group_owners(&view, g.id)
        .await
        .map_err(|e| d.fail(e, "groups"))?
        .into_iter()
        .map(|o| (o.user_id.to_string(), o.email))
        .collect();
    let field = |name: &str| form.map_or("", |f| f.get(name)).to_owned();
    let mut c = d.chrome(g.name.as_str(), "groups");
    let status = problems.status(error.as_ref().map(|(s, _)| *s));
    c.error = error.map(|(_, t)| t);
    c.problems = problems;
    c.notice = notice.map(str::to_owned);
    Ok(page_with(
        status,
        &MembersPage {
            id: g.id.to_string(),
            members: g.member_count,
            rows,
            next: members
                .next_cursor
                .map(|n| format!("{here}?{}", query_string(&[("cursor", &n)]))),
            email: field("email"),
            durations: DURATIONS
                .iter()
                .map(|(v, l)| (*v, *l, *v == field("duration")))
                .collect(),
            until: field("until"),
            owners,
            c,
        },
    ))
}

/// The members tab. Requires `users.view`.
pub(crate) async fn members_page(
    State(s): State<AppState>,
    browser: Browser,
    Path((slug, id)): Path<(String, String)>,
    q: Params,
) -> Answer {
    let (d, _access) = Dash::with::<UsersView>(&s, browser, &slug).await?;
    let g = group_of(&d, &id).await?;
    let cursor = Some(q.get("cursor")).filter(|c| !c.is_empty());
    let notice = notice_text(q.get("notice"));
    render(&d, &g, cursor, None, None, notice, Problems::default()).await
}

/// The user of the business with exactly this email.
pub(crate) async fn user_by_email(d: &Dash, email: &Email) -> Result<User, Error> {
    let view = d.principal.authorize::<UsersView>()?;
    let wanted = email.as_str().to_lowercase();
    let filter = UserFilter {
        query: Some(wanted.clone()),
        ..UserFilter::default()
    };
    let page = d
        .state
        .gatehouse
        .list_users(&view, &filter, None, 5)
        .await?;
    page.items
        .into_iter()
        .find(|u| u.email.as_str().to_lowercase() == wanted)
        .ok_or(Error::UserNotFound)
}

fn review(
    d: &Dash,
    g: &Group,
    u: &User,
    adding: bool,
    lines: Vec<EffectLine>,
    warn_self: Option<String>,
    end: (&Fields, Option<OffsetDateTime>),
) -> axum::response::Response {
    let base = d.admin(&format!("/groups/{}/members", g.id));
    let verb = if adding { "Add" } else { "Remove" };
    let c = d.chrome(&format!("{verb} {}?", u.email), "groups");
    page_with(
        StatusCode::OK,
        &MemberReview {
            c,
            action: if adding {
                base.clone()
            } else {
                format!("{base}/{}/remove", u.id)
            },
            email: u.email.to_string(),
            adding,
            group: g.name.to_string(),
            lines,
            cancel: base,
            warn_self,
            duration: end.0.get("duration").to_owned(),
            until: end.0.get("until").to_owned(),
            ends: end.1.map(end_text),
        },
    )
}

async fn effect_for(
    d: &Dash,
    access: &BusinessAccess<GroupsManage>,
    g: &Group,
    u: &User,
    adding: bool,
) -> Result<Vec<EffectLine>, Error> {
    let ids = [u.id];
    let (add, remove): (&[_], &[_]) = if adding { (&ids, &[]) } else { (&[], &ids) };
    let change = GroupChange {
        group: Some(g.id),
        scope: &g.scope,
        grants: &g.grants,
        add,
        remove,
    };
    let effect = d
        .state
        .gatehouse
        .preview_group_change(access, &change)
        .await?;
    let (gained, lost) = effect_lines(d, &effect);
    Ok(if adding { gained } else { lost })
}

/// Adds a user (after reviewing what they gain). Requires `groups.manage` and the group's
/// rights.
pub(crate) async fn add_member(
    State(s): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    DashForm(d, access, form): DashForm<GroupsManage>,
) -> Answer {
    let g = group_of(&d, &id).await?;
    let email = form.get("email");
    let mut problems = Problems::default();
    let now = s.gatehouse.now();
    // Temporary access: the end as asked, and the instant it comes to now.
    let end = requested_end(&form)
        .and_then(|end| end.map(|e| e.resolve(now).map(|at| (e, at))).transpose());
    let checked = match problems.check("email", "Email", Email::parse(email)) {
        Some(parsed) => match user_by_email(&d, &parsed).await {
            Ok(u) => access
                .ensure_holds(&g.grants, &g.scope)
                .and_then(|()| end.map(|end| (u, end))),
            Err(e) => Err(e),
        },
        None => Err(Error::UserNotFound),
    };
    let (u, end) = match checked {
        Ok(u) => u,
        Err(e) => {
            let error = if problems.is_empty() {
                problems.take(e, FIELDS).map(|e| describe(d.catalog(), e))
            } else {
                None
            };
            return render(&d, &g, None, Some(&form), error, None, problems).await;
        }
    };
    if form.get("step") != "save" {
        let lines = effect_for(&d, &access, &g, &u, true)
            .await
            .map_err(|e| d.fail(e, "groups"))?;
        let until = end.map(|(_, at)| at);
        return Ok(review(&d, &g, &u, true, lines, None, (&form, until)));
    }
    let added = match end {
        Some((end, _)) => {
            s.gatehouse
                .add_temporary_members(&access, &d.browser.ctx, g.id, &[u.id], end)
                .await
        }
        None => {
            s.gatehouse
                .add_group_members(&access, &d.browser.ctx, g.id, &[u.id])
                .await
        }
    };
    match added {
        Ok(_) => Ok(d.done(
            &d.admin(&format!("/groups/{}/members", g.id)),
            "member_added",
        )),
        Err(e) => {
            let mut problems = Problems::default();
            let error = problems.take(e, FIELDS).map(|e| describe(d.catalog(), e));
            render(&d, &g, None, Some(&form), error, None, problems).await
        }
    }
}

/// Removes a member (after reviewing what they lose). Requires `groups.manage`.
pub(crate) async fn remove_member(
    State(s): State<AppState>,
    Path((_, id, user)): Path<(String, String, String)>,
    DashForm(d, access, form): DashForm<GroupsManage>,
) -> Answer {
    let g = group_of(&d, &id).await?;
    let view = d
        .principal
        .authorize::<UsersView>()
        .map_err(|e| d.fail(e, "groups"))?;
    let uid = user
        .parse()
        .map_err(|_| d.fail(Error::UserNotFound, "groups"))?;
    let u = s
        .gatehouse
        .get_user(&view, uid)
        .await
        .map_err(|e| d.fail(e, "groups"))?;
    let warn = if u.id == d.me.id {
        leaving(&d, &g).await
    } else {
        None
    };
    if form.get("step") != "save" || (warn.is_some() && !self_loss::confirmed(&form)) {
        let lines = effect_for(&d, &access, &g, &u, false)
            .await
            .map_err(|e| d.fail(e, "groups"))?;
        return Ok(review(&d, &g, &u, false, lines, warn, (&form, None)));
    }
    match s
        .gatehouse
        .remove_group_member(&access, &d.browser.ctx, g.id, u.id)
        .await
    {
        Ok(()) => Ok(d.done(
            &d.admin(&format!("/groups/{}/members", g.id)),
            "member_removed",
        )),
        Err(e) => {
            let error = Some(describe(d.catalog(), e));
            render(&d, &g, None, None, error, None, Problems::default()).await
        }
    }
}
