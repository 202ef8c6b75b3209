//! Manage users → User Groups: every group with its type, tenants, member count and a compact
//! summary of its rights per environment; and deleting a group.

use askama::Template;
use axum::extract::{Path, State};
use gatehouse_domain::model::{Group, GroupScope};
use gatehouse_domain::principal::{GroupsManage, UsersView};

use super::context::{Answer, Chrome, Dash, DashForm, describe, notice_text, page, page_with};
use super::fields::Params;
use super::group_editor::group_of;
use super::matrix::{Summary, names_label, summary};
use super::self_loss::{self, After};
use super::user_actions::ConfirmPage;
use super::users::tenants_of;
use crate::browser::Browser;
use crate::state::AppState;

#[derive(Debug)]
struct GroupRow {
    id: String,
    name: String,
    description: String,
    business: bool,
    tenants: String,
    members: i64,
    s: Summary,
}

#[derive(Template)]
#[template(path = "dashboard/groups.html")]
struct GroupsPage {
    c: Chrome,
    rows: Vec<GroupRow>,
}

/// The list of groups. Requires `users.view`.
pub(crate) async fn list_groups_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Answer {
    let (d, access) = Dash::with::<UsersView>(&s, browser, &slug).await?;
    let groups = s
        .gatehouse
        .list_groups(&access)
        .await
        .map_err(|e| d.fail(e, "groups"))?;
    let tenants = tenants_of(&d).await?;
    let rows = groups
        .iter()
        .map(|g| GroupRow {
            id: g.id.to_string(),
            name: g.name.to_string(),
            description: g.description.to_string(),
            business: matches!(g.scope, GroupScope::Business),
            tenants: match &g.scope {
                GroupScope::Business => "All tenants".to_owned(),
                GroupScope::Tenants(set) => names_label(
                    &tenants
                        .iter()
                        .filter(|t| set.contains(&t.id))
                        .map(|t| t.name.to_string())
                        .collect::<Vec<_>>(),
                ),
            },
            members: g.member_count,
            s: summary(d.catalog(), &g.grants),
        })
        .collect();
    let mut c = d.chrome("User Groups", "groups");
    c.notice = notice_text(q.get("notice")).map(str::to_owned);
    Ok(page(&GroupsPage { c, rows }))
}

fn delete_confirm(
    d: &Dash,
    id: &str,
    name: &str,
    members: i64,
    error: Option<(axum::http::StatusCode, String)>,
    warn_self: Option<String>,
) -> axum::response::Response {
    let mut c = d.chrome(&format!("Delete {name}?"), "groups");
    let status = error
        .as_ref()
        .map_or(axum::http::StatusCode::OK, |(s, _)| *s);
    c.error = error.map(|(_, t)| t);
    let consequence = if members == 0 {
        format!("The group {name} has no members. Deleting it cannot be undone.")
    } else {
        format!(
            "{members} member{} of {name} lose every right that comes only from this group, at once. Deleting it cannot be undone.",
            if members == 1 { "" } else { "s" }
        )
    };
    page_with(
        status,
        &ConfirmPage {
            c,
            question: format!("Delete {name}?"),
            consequence,
            action: d.admin(&format!("/groups/{id}/delete")),
            button: format!("Delete {name}"),
            danger: true,
            cancel: d.admin(&format!("/groups/{id}")),
            warn_self,
        },
    )
}

/// The warning for the signed-in user when `g` goes away from their groups.
pub(crate) async fn leaving(d: &Dash, g: &Group) -> Option<String> {
    self_loss::warning(d, |x| {
        if x.id == g.id {
            After::Leave
        } else {
            After::Same
        }
    })
    .await
}

/// The confirmation of deleting a group. Requires `groups.manage`.
pub(crate) async fn delete_page(
    State(s): State<AppState>,
    browser: Browser,
    Path((slug, id)): Path<(String, String)>,
) -> Answer {
    let (d, _access) = Dash::with::<GroupsManage>(&s, browser, &slug).await?;
    let g = group_of(&d, &id).await?;
    let warn = leaving(&d, &g).await;
    Ok(delete_confirm(
        &d,
        &id,
        g.name.as_str(),
        g.member_count,
        None,
        warn,
    ))
}

/// Deletes a group, members and all. Requires `groups.manage`.
pub(crate) async fn delete_group(
    State(s): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    DashForm(d, access, form): DashForm<GroupsManage>,
) -> Answer {
    let g = group_of(&d, &id).await?;
    let warn = leaving(&d, &g).await;
    if warn.is_some() && !self_loss::confirmed(&form) {
        let err = (
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "Nothing was deleted: tick “I understand” to go ahead.".to_owned(),
        );
        return Ok(delete_confirm(
            &d,
            &id,
            g.name.as_str(),
            g.member_count,
            Some(err),
            warn,
        ));
    }
    match s
        .gatehouse
        .delete_group(&access, &d.browser.ctx, g.id, true)
        .await
    {
        Ok(()) => Ok(d.done(&d.admin("/groups"), "group_deleted")),
        Err(e) => {
            let err = describe(d.catalog(), e);
            Ok(delete_confirm(
                &d,
                &id,
                g.name.as_str(),
                g.member_count,
                Some(err),
                warn,
            ))
        }
    }
}
