//! Groups and their members.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use gatehouse_domain::grants::Grants;
use gatehouse_domain::ids::{GroupId, TenantId, UserId};
use gatehouse_domain::model::{GroupKind, GroupView, User};
use gatehouse_domain::page::{Page, page_size};
use gatehouse_domain::principal::{GroupsManage, Principal, UsersView};
use gatehouse_domain::services::temporary::MembershipEnd;
use gatehouse_domain::services::{GroupPatch, NewGroup};
use gatehouse_domain::types::{Description, GroupName};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::schemas;
use crate::error::ApiError;
use crate::extract::{Ctx, IfMatch, Json, Path, Query, etag};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_groups, create_group))
        .routes(routes!(get_group, update_group, delete_group))
        .routes(routes!(list_group_members, add_group_members))
        .routes(routes!(remove_group_member))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewGroupBody {
    #[schema(value_type = GroupName)]
    name: String,
    #[serde(default)]
    #[schema(value_type = Description)]
    description: String,
    #[serde(rename = "type")]
    kind: GroupKind,
    #[serde(default)]
    tenant_ids: Vec<TenantId>,
    #[serde(default)]
    permissions: Grants,
    /// Confirms granting sensitive permissions (required when `permissions` has any).
    #[serde(default)]
    acknowledge_sensitive: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GroupPatchBody {
    #[schema(value_type = Option<GroupName>)]
    name: Option<String>,
    #[schema(value_type = Option<Description>)]
    description: Option<String>,
    #[serde(rename = "type")]
    kind: Option<GroupKind>,
    tenant_ids: Option<Vec<TenantId>>,
    /// The complete new permission set.
    permissions: Option<Grants>,
    /// The version the change is based on (alternative to `If-Match`).
    version: Option<i64>,
    /// Confirms granting sensitive permissions (required when the change adds any).
    #[serde(default)]
    acknowledge_sensitive: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MembersBody {
    #[schema(schema_with = schemas::member_ids)]
    user_ids: Vec<UserId>,
    /// Temporary access: the memberships end at this instant (RFC 3339; in the future, at
    /// most 366 days ahead), and from it the engine denies their rights on every node.
    /// Without it or `expires_in_seconds` the memberships have no end.
    #[serde(default, with = "time::serde::rfc3339::option")]
    expires_at: Option<OffsetDateTime>,
    /// Temporary access for this many seconds from now (instead of `expires_at`).
    #[schema(minimum = 1, maximum = 31_622_400)]
    expires_in_seconds: Option<u32>,
}

impl MembersBody {
    /// The end the body asks for, if any; both ways at once is refused.
    fn end(&self) -> Result<Option<MembershipEnd>, ApiError> {
        Ok(match (self.expires_at, self.expires_in_seconds) {
            (Some(_), Some(_)) => {
                return Err(gatehouse_domain::Error::invalid(
                    "invalid_expiry",
                    "expires_at",
                    "give expires_at or expires_in_seconds, not both",
                )
                .into());
            }
            (Some(at), None) => Some(MembershipEnd::At(at)),
            (None, Some(secs)) => Some(MembershipEnd::After(time::Duration::seconds(i64::from(
                secs,
            )))),
            (None, None) => None,
        })
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeleteQuery {
    /// Delete even while the group has members (they lose its rights at once).
    #[serde(default)]
    force: bool,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct MembersQuery {
    #[param(schema_with = schemas::cursor)]
    cursor: Option<String>,
    #[param(schema_with = schemas::page_limit)]
    limit: Option<u32>,
}

/// List the business's groups with member counts. Requires `users.view`.
#[utoipa::path(get, path = "/api/v1/groups", tag = "groups", responses((status = 200, body = Vec<GroupView>)))]
async fn list_groups(
    State(s): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<GroupView>>, ApiError> {
    let access = principal.authorize::<UsersView>()?;
    Ok(Json(
        s.gatehouse
            .list_groups(&access)
            .await?
            .into_iter()
            .map(GroupView::from)
            .collect(),
    ))
}

/// Create a group granting no more than the caller holds. Requires `groups.manage`.
#[utoipa::path(post, path = "/api/v1/groups", tag = "groups", request_body = NewGroupBody,
    responses((status = 201, body = GroupView)))]
async fn create_group(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Json(body): Json<NewGroupBody>,
) -> Result<impl IntoResponse, ApiError> {
    let access = principal.authorize::<GroupsManage>()?;
    let new = NewGroup {
        name: GroupName::parse(&body.name)?,
        description: Description::parse(&body.description)?,
        kind: body.kind,
        tenants: body.tenant_ids,
        grants: body.permissions,
        acknowledge_sensitive: body.acknowledge_sensitive,
    };
    let group = s.gatehouse.create_group(&access, &ctx, new).await?;
    Ok((
        StatusCode::CREATED,
        etag(group.version),
        Json(GroupView::from(group)),
    ))
}

/// Get a group. Requires `users.view`.
#[utoipa::path(get, path = "/api/v1/groups/{group_id}", tag = "groups", params(("group_id" = GroupId, Path)),
    responses((status = 200, body = GroupView, headers(("ETag" = String)))))]
async fn get_group(
    State(s): State<AppState>,
    principal: Principal,
    Path(id): Path<GroupId>,
) -> Result<impl IntoResponse, ApiError> {
    let access = principal.authorize::<UsersView>()?;
    let group = s.gatehouse.get_group(&access, id).await?;
    Ok((etag(group.version), Json(GroupView::from(group))))
}

/// Change a group's name, description, type, tenants or permissions. What the change adds
/// must be held by the caller. Requires `groups.manage`.
#[utoipa::path(patch, path = "/api/v1/groups/{group_id}", tag = "groups", request_body = GroupPatchBody,
    params(("group_id" = GroupId, Path), IfMatch),
    responses((status = 200, body = GroupView)))]
async fn update_group(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<GroupId>,
    if_match: IfMatch,
    Json(body): Json<GroupPatchBody>,
) -> Result<impl IntoResponse, ApiError> {
    let access = principal.authorize::<GroupsManage>()?;
    let patch = GroupPatch {
        name: body.name.as_deref().map(GroupName::parse).transpose()?,
        description: body
            .description
            .as_deref()
            .map(Description::parse)
            .transpose()?,
        kind: body.kind,
        tenants: body.tenant_ids,
        grants: body.permissions,
        acknowledge_sensitive: body.acknowledge_sensitive,
    };
    let group = s
        .gatehouse
        .update_group(
            &access,
            &ctx,
            id,
            patch,
            if_match.with_version(body.version),
        )
        .await?;
    Ok((etag(group.version), Json(GroupView::from(group))))
}

/// Delete a group; refused with `group_has_members` unless `force=true`. Requires `groups.manage`.
#[utoipa::path(delete, path = "/api/v1/groups/{group_id}", tag = "groups", params(("group_id" = GroupId, Path), DeleteQuery),
    responses((status = 204)))]
async fn delete_group(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<GroupId>,
    Query(q): Query<DeleteQuery>,
) -> Result<StatusCode, ApiError> {
    let access = principal.authorize::<GroupsManage>()?;
    s.gatehouse.delete_group(&access, &ctx, id, q.force).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a group's members, by email. Requires `users.view`.
#[utoipa::path(get, path = "/api/v1/groups/{group_id}/members", tag = "groups", params(("group_id" = GroupId, Path), MembersQuery),
    responses((status = 200, body = Page<User>)))]
async fn list_group_members(
    State(s): State<AppState>,
    principal: Principal,
    Path(id): Path<GroupId>,
    Query(q): Query<MembersQuery>,
) -> Result<Json<Page<User>>, ApiError> {
    let access = principal.authorize::<UsersView>()?;
    let limit = page_size(q.limit)?;
    Ok(Json(
        s.gatehouse
            .list_group_members(&access, id, q.cursor.as_deref(), limit)
            .await?,
    ))
}

/// Add members, for good or until an end (temporary access); the caller must hold the
/// group's rights. Requires `groups.manage`.
#[utoipa::path(post, path = "/api/v1/groups/{group_id}/members", tag = "groups", request_body = MembersBody,
    params(("group_id" = GroupId, Path)), responses((status = 200, body = GroupView)))]
async fn add_group_members(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<GroupId>,
    Json(body): Json<MembersBody>,
) -> Result<Json<GroupView>, ApiError> {
    let access = principal.authorize::<GroupsManage>()?;
    if body.user_ids.len() > schemas::MAX_MEMBERS_PER_REQUEST {
        return Err(gatehouse_domain::Error::invalid(
            "too_many_users",
            "user_ids",
            format!(
                "at most {} users at a time",
                schemas::MAX_MEMBERS_PER_REQUEST
            ),
        )
        .into());
    }
    let group = match body.end()? {
        Some(end) => {
            s.gatehouse
                .add_temporary_members(&access, &ctx, id, &body.user_ids, end)
                .await?
        }
        None => {
            s.gatehouse
                .add_group_members(&access, &ctx, id, &body.user_ids)
                .await?
        }
    };
    Ok(Json(group.into()))
}

/// Remove a member; they lose the group's rights at once. Requires `groups.manage`.
#[utoipa::path(delete, path = "/api/v1/groups/{group_id}/members/{user_id}", tag = "groups",
    params(("group_id" = GroupId, Path), ("user_id" = UserId, Path)), responses((status = 204)))]
async fn remove_group_member(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path((id, user)): Path<(GroupId, UserId)>,
) -> Result<StatusCode, ApiError> {
    let access = principal.authorize::<GroupsManage>()?;
    s.gatehouse
        .remove_group_member(&access, &ctx, id, user)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
