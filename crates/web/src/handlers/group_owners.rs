//! Group owners: who reviews a group's members in access reviews that ask for owners.

use axum::extract::State;
use gatehouse_domain::ids::{GroupId, UserId};
use gatehouse_domain::principal::{GroupsManage, Principal, UsersView};
use gatehouse_domain::services::reviews::GroupOwner;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::extract::{Ctx, Json, Path};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_group_owners))
        .routes(routes!(add_group_owner, remove_group_owner))
}

/// The group's owners. Requires `users.view`.
#[utoipa::path(get, path = "/api/v1/groups/{group_id}/owners", tag = "groups",
    params(("group_id" = GroupId, Path)), responses((status = 200, body = Vec<GroupOwner>)))]
async fn list_group_owners(
    State(s): State<AppState>,
    principal: Principal,
    Path(id): Path<GroupId>,
) -> Result<Json<Vec<GroupOwner>>, ApiError> {
    let access = principal.authorize::<UsersView>()?;
    Ok(Json(s.gatehouse.list_group_owners(&access, id).await?))
}

/// Make a user (not deactivated) an owner of the group; owning grants nothing. Answers the
/// owners. Requires `groups.manage`.
#[utoipa::path(put, path = "/api/v1/groups/{group_id}/owners/{user_id}", tag = "groups",
    params(("group_id" = GroupId, Path), ("user_id" = UserId, Path)),
    responses((status = 200, body = Vec<GroupOwner>)))]
async fn add_group_owner(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path((id, user)): Path<(GroupId, UserId)>,
) -> Result<Json<Vec<GroupOwner>>, ApiError> {
    let access = principal.authorize::<GroupsManage>()?;
    let owners = s
        .gatehouse
        .set_group_owner(&access, &ctx, id, user, true)
        .await?;
    Ok(Json(owners))
}

/// Stop a user owning the group. Answers the owners. Requires `groups.manage`.
#[utoipa::path(delete, path = "/api/v1/groups/{group_id}/owners/{user_id}", tag = "groups",
    params(("group_id" = GroupId, Path), ("user_id" = UserId, Path)),
    responses((status = 200, body = Vec<GroupOwner>)))]
async fn remove_group_owner(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path((id, user)): Path<(GroupId, UserId)>,
) -> Result<Json<Vec<GroupOwner>>, ApiError> {
    let access = principal.authorize::<GroupsManage>()?;
    let owners = s
        .gatehouse
        .set_group_owner(&access, &ctx, id, user, false)
        .await?;
    Ok(Json(owners))
}
