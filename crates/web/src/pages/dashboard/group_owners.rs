//! Adding and removing a group's owners from its members tab.

use axum::extract::{Path, State};
use gatehouse_domain::Error;
use gatehouse_domain::principal::GroupsManage;
use gatehouse_domain::types::Email;

use super::context::{Answer, DashForm};
use super::group_members::user_by_email;
use crate::state::AppState;

/// Makes the user named by `email` an owner. Requires `groups.manage`.
pub(crate) async fn add_owner(
    State(s): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    DashForm(d, access, form): DashForm<GroupsManage>,
) -> Answer {
    let fail = |e| d.fail(e, "groups");
    let group = id.parse().map_err(|_| fail(Error::GroupNotFound))?;
    let email = Email::parse(form.get("email")).map_err(fail)?;
    let user = user_by_email(&d, &email).await.map_err(fail)?;
    s.gatehouse
        .set_group_owner(&access, &d.browser.ctx, group, user.id, true)
        .await
        .map_err(fail)?;
    Ok(d.done(&d.admin(&format!("/groups/{group}/members")), "owner_added"))
}

/// Stops a user owning the group. Requires `groups.manage`.
pub(crate) async fn remove_owner(
    State(s): State<AppState>,
    Path((_, id, user)): Path<(String, String, String)>,
    DashForm(d, access, _form): DashForm<GroupsManage>,
) -> Answer {
    let fail = |e| d.fail(e, "groups");
    let group = id.parse().map_err(|_| fail(Error::GroupNotFound))?;
    let user = user.parse().map_err(|_| fail(Error::UserNotFound))?;
    s.gatehouse
        .set_group_owner(&access, &d.browser.ctx, group, user, false)
        .await
        .map_err(fail)?;
    Ok(d.done(
        &d.admin(&format!("/groups/{group}/members")),
        "owner_removed",
    ))
}
