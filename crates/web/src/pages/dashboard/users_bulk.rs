//! Acting on many users at once from the Users list: the ticked users of a page are added to
//! or removed from a group, deactivated, or sent a new invitation — always after a review
//! that lists who is affected, who is skipped and why, and (for groups) what access changes.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_domain::Error;
use gatehouse_domain::authz::preview::GroupChange;
use gatehouse_domain::ids::{GroupId, UserId};
use gatehouse_domain::model::{Group, User, UserStatus};
use gatehouse_domain::principal::{GroupsManage, UsersManage, UsersView};
use gatehouse_domain::services::Precondition;

use super::context::{Answer, Chrome, Dash, DashForm, describe, page, page_with};
use super::fields::Fields;
use super::group_form::{EffectLine, effect_lines};
use super::self_loss;
use super::user_actions::who;
use crate::state::AppState;

/// The most users one bulk action takes: one page of the list.
const MAX_USERS: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bulk {
    AddToGroup,
    RemoveFromGroup,
    Deactivate,
    ResendInvitation,
}

impl Bulk {
    fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "add_to_group" => Bulk::AddToGroup,
            "remove_from_group" => Bulk::RemoveFromGroup,
            "deactivate" => Bulk::Deactivate,
            "resend_invitation" => Bulk::ResendInvitation,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Bulk::AddToGroup => "add_to_group",
            Bulk::RemoveFromGroup => "remove_from_group",
            Bulk::Deactivate => "deactivate",
            Bulk::ResendInvitation => "resend_invitation",
        }
    }

    fn needs_group(self) -> bool {
        matches!(self, Bulk::AddToGroup | Bulk::RemoveFromGroup)
    }

    /// Whether it applies to `u`, or why it skips them.
    fn applies(self, u: &User, g: Option<&Group>) -> Result<&'static str, &'static str> {
        let member = g.is_some_and(|g| u.groups.iter().any(|m| m.id == g.id));
        match self {
            Bulk::AddToGroup if member => Err("already in the group"),
            Bulk::AddToGroup => Ok("joins the group"),
            Bulk::RemoveFromGroup if !member => Err("not in the group"),
            Bulk::RemoveFromGroup => Ok("leaves the group"),
            Bulk::Deactivate if u.status == UserStatus::Deactivated => Err("already deactivated"),
            Bulk::Deactivate => Ok("is deactivated; their sessions end at once"),
            Bulk::ResendInvitation if u.status != UserStatus::Pending => {
                Err("not pending: has no invitation to resend")
            }
            Bulk::ResendInvitation => Ok("gets a new invitation; the old link stops working"),
        }
    }

    fn title(self, n: usize, group: &str) -> String {
        let users = if n == 1 {
            "1 user".to_owned()
        } else {
            format!("{n} users")
        };
        match self {
            Bulk::AddToGroup => format!("Add {users} to {group}"),
            Bulk::RemoveFromGroup => format!("Remove {users} from {group}"),
            Bulk::Deactivate => format!("Deactivate {users}"),
            Bulk::ResendInvitation => format!("Resend the invitation of {users}"),
        }
    }
}

#[derive(Debug)]
struct BulkRow {
    who: String,
    email: String,
    outcome: &'static str,
    acts: bool,
}

#[derive(Template)]
#[template(path = "dashboard/bulk_review.html")]
struct ReviewPage {
    c: Chrome,
    action: &'static str,
    group: String,
    rows: Vec<BulkRow>,
    acting: Vec<String>,
    gained: Vec<EffectLine>,
    lost: Vec<EffectLine>,
    warn_self: Option<String>,
    button: String,
    back: String,
}

#[derive(Template)]
#[template(path = "dashboard/bulk_done.html")]
struct DonePage {
    c: Chrome,
    done: usize,
    failed: Vec<(String, String)>,
    back: String,
}

/// The list's query string to return to: plain query characters only.
fn back_to(d: &Dash, form: &Fields) -> String {
    let q = form.get("back");
    let plain = q
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"=&%._~+-".contains(&b));
    if q.is_empty() || !plain {
        d.admin("/users")
    } else {
        format!("{}?{q}", d.admin("/users"))
    }
}

/// A refusal before any review: back to the list with the reason.
fn refused(d: &Dash, form: &Fields, code: &str) -> Response {
    let to = back_to(d, form);
    let sep = if to.contains('?') { '&' } else { '?' };
    super::super::redirect(&format!("{to}{sep}error={code}"), &[])
}

async fn group_of(d: &Dash, raw: &str) -> Answer<Option<Group>> {
    if raw.is_empty() {
        return Ok(None);
    }
    let view = d
        .principal
        .authorize::<UsersView>()
        .map_err(|e| d.fail(e, "users"))?;
    let id: GroupId = raw
        .parse()
        .map_err(|_| d.fail(Error::GroupNotFound, "users"))?;
    d.state
        .gatehouse
        .get_group(&view, id)
        .await
        .map(Some)
        .map_err(|e| d.fail(e, "users"))
}

/// Reviews, then carries out, a bulk action on the ticked users. Requires `users.manage`
/// (deactivate, resend) or `groups.manage` (group membership).
pub(crate) async fn bulk(
    State(s): State<AppState>,
    DashForm(d, view, form): DashForm<UsersView>,
) -> Answer {
    let Some(kind) = Bulk::parse(form.get("action")) else {
        return Ok(refused(&d, &form, "bulk_no_action"));
    };
    let ids: Vec<UserId> = form
        .all("user")
        .into_iter()
        .filter_map(|u| u.parse().ok())
        .take(MAX_USERS)
        .collect();
    if ids.is_empty() {
        return Ok(refused(&d, &form, "bulk_no_users"));
    }
    let g = group_of(&d, form.get("group")).await?;
    if kind.needs_group() && g.is_none() {
        return Ok(refused(&d, &form, "bulk_no_group"));
    }
    // The right the action needs, before anything else is shown.
    let needed = if kind.needs_group() {
        d.principal.authorize::<GroupsManage>().map(drop)
    } else {
        d.principal.authorize::<UsersManage>().map(drop)
    };
    needed.map_err(|e| d.fail(e, "users"))?;
    let users = s
        .gatehouse
        .get_users(&view, &ids)
        .await
        .map_err(|e| d.fail(e, "users"))?;
    let rows: Vec<BulkRow> = users
        .iter()
        .map(|u| {
            let outcome = kind.applies(u, g.as_ref());
            BulkRow {
                who: who(u),
                email: u.email.to_string(),
                acts: outcome.is_ok(),
                outcome: outcome.unwrap_or_else(|why| why),
            }
        })
        .collect();
    let acting: Vec<&User> = users
        .iter()
        .filter(|u| kind.applies(u, g.as_ref()).is_ok())
        .collect();
    let me_in = acting.iter().any(|u| u.id == d.me.id);
    let warn_self = match (kind, &g) {
        (Bulk::RemoveFromGroup, Some(g)) if me_in => super::groups::leaving(&d, g).await,
        (Bulk::Deactivate, _) if me_in => Some(
            "You are among them: you will be signed out at once and cannot sign in again until another administrator reactivates you.".to_owned(),
        ),
        _ => None,
    };
    let group_name = g.as_ref().map(|g| g.name.to_string()).unwrap_or_default();
    if form.get("step") != "save" || (warn_self.is_some() && !self_loss::confirmed(&form)) {
        let (gained, lost) = match (&g, d.principal.authorize::<GroupsManage>()) {
            (Some(g), Ok(access)) => {
                let ids: Vec<UserId> = acting.iter().map(|u| u.id).collect();
                let (add, remove): (&[UserId], &[UserId]) = if kind == Bulk::AddToGroup {
                    (&ids, &[])
                } else {
                    (&[], &ids)
                };
                let change = GroupChange {
                    group: Some(g.id),
                    scope: &g.scope,
                    grants: &g.grants,
                    add,
                    remove,
                };
                let effect = s
                    .gatehouse
                    .preview_group_change(&access, &change)
                    .await
                    .map_err(|e| d.fail(e, "users"))?;
                effect_lines(&d, &effect)
            }
            _ => (Vec::new(), Vec::new()),
        };
        let title = kind.title(acting.len(), &group_name);
        return Ok(page(&ReviewPage {
            c: d.chrome(&format!("{title}?"), "users"),
            action: kind.as_str(),
            group: form.get("group").to_owned(),
            acting: acting.iter().map(|u| u.id.to_string()).collect(),
            rows,
            gained,
            lost,
            warn_self,
            button: title,
            back: form.get("back").to_owned(),
        }));
    }
    let mut done = 0;
    let mut failed = Vec::new();
    let mut record = |u: &User, r: Result<(), Error>| match r {
        Ok(()) => done += 1,
        Err(e) => failed.push((who(u), describe(d.catalog(), e).1)),
    };
    let (gh, ctx) = (&s.gatehouse, &d.browser.ctx);
    match (kind, &g) {
        (Bulk::AddToGroup, Some(g)) => {
            let access = d
                .principal
                .authorize::<GroupsManage>()
                .map_err(|e| d.fail(e, "users"))?;
            let ids: Vec<UserId> = acting.iter().map(|u| u.id).collect();
            match gh.add_group_members(&access, ctx, g.id, &ids).await {
                Ok(_) => done = ids.len(),
                Err(e) => failed.push((
                    format!("All {} users", ids.len()),
                    describe(d.catalog(), e).1,
                )),
            }
        }
        (Bulk::RemoveFromGroup, Some(g)) => {
            let access = d
                .principal
                .authorize::<GroupsManage>()
                .map_err(|e| d.fail(e, "users"))?;
            for u in &acting {
                record(u, gh.remove_group_member(&access, ctx, g.id, u.id).await);
            }
        }
        (Bulk::Deactivate, _) => {
            let access = d
                .principal
                .authorize::<UsersManage>()
                .map_err(|e| d.fail(e, "users"))?;
            for u in &acting {
                record(
                    u,
                    gh.deactivate_user(&access, ctx, u.id, Precondition::default())
                        .await
                        .map(drop),
                );
            }
        }
        (Bulk::ResendInvitation, _) => {
            let access = d
                .principal
                .authorize::<UsersManage>()
                .map_err(|e| d.fail(e, "users"))?;
            for u in &acting {
                record(u, gh.resend_invitation(&access, ctx, u.id).await.map(drop));
            }
        }
        _ => {}
    }
    let mut c = d.chrome(&kind.title(done, &group_name), "users");
    let status = if failed.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    if done > 0 {
        c.notice = Some(format!(
            "Done for {done} user{}.",
            if done == 1 { "" } else { "s" }
        ));
    }
    Ok(page_with(
        status,
        &DonePage {
            c,
            done,
            failed,
            back: back_to(&d, &form),
        },
    ))
}
