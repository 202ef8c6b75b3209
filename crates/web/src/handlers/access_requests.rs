//! Requests for temporary access: a signed-in user asks for a group for a while; an
//! administrator who manages groups approves or denies.

use axum::extract::State;
use axum::http::StatusCode;
use gatehouse_domain::ids::{AccessRequestId, GroupId};
use gatehouse_domain::principal::{AnyMember, GroupsManage, Principal};
use gatehouse_domain::services::temporary::AccessRequest;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::extract::{Ctx, Json, Path};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_access_requests, create_access_request))
        .routes(routes!(list_my_access_requests))
        .routes(routes!(approve_access_request))
        .routes(routes!(deny_access_request))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccessRequestBody {
    group_id: GroupId,
    /// How long the access should last once approved (60 s to 366 days).
    #[schema(minimum = 60, maximum = 31_622_400)]
    duration_seconds: u32,
    /// Why (1–500 characters); the approver and the audit trail see it.
    #[schema(min_length = 1, max_length = 500)]
    reason: String,
}

/// Ask for temporary membership of a group (the break-glass path). Signed-in users only
/// (a session); any member of the business may ask.
#[utoipa::path(post, path = "/api/v1/access-requests", tag = "groups", request_body = AccessRequestBody,
    responses((status = 201, body = AccessRequest)))]
async fn create_access_request(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Json(body): Json<AccessRequestBody>,
) -> Result<(StatusCode, Json<AccessRequest>), ApiError> {
    let access = principal.authorize::<AnyMember>()?;
    let duration = time::Duration::seconds(i64::from(body.duration_seconds));
    let request = s
        .gatehouse
        .request_access(&access, &ctx, body.group_id, duration, &body.reason)
        .await?;
    Ok((StatusCode::CREATED, Json(request)))
}

/// The caller's own requests for access, newest first. Signed-in users only.
#[utoipa::path(get, path = "/api/v1/access-requests/mine", tag = "groups",
    responses((status = 200, body = Vec<AccessRequest>)))]
async fn list_my_access_requests(
    State(s): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<AccessRequest>>, ApiError> {
    let access = principal.authorize::<AnyMember>()?;
    Ok(Json(s.gatehouse.list_my_access_requests(&access).await?))
}

/// The business's requests for access: pending first, then newest first. Requires
/// `groups.manage`.
#[utoipa::path(get, path = "/api/v1/access-requests", tag = "groups",
    responses((status = 200, body = Vec<AccessRequest>)))]
async fn list_access_requests(
    State(s): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<AccessRequest>>, ApiError> {
    let access = principal.authorize::<GroupsManage>()?;
    Ok(Json(s.gatehouse.list_access_requests(&access).await?))
}

/// Approves or denies the request `id`, as the caller.
async fn decide(
    s: &AppState,
    principal: Principal,
    ctx: &gatehouse_domain::audit::RequestContext,
    id: AccessRequestId,
    approve: bool,
) -> Result<Json<AccessRequest>, ApiError> {
    let access = principal.authorize::<GroupsManage>()?;
    Ok(Json(
        s.gatehouse
            .decide_access_request(&access, ctx, id, approve)
            .await?,
    ))
}

/// Approve a pending request: the user becomes a member of the group until the requested
/// duration from now. Requires `groups.manage` and the group's rights; not one's own.
#[utoipa::path(post, path = "/api/v1/access-requests/{access_request_id}/approve", tag = "groups",
    params(("access_request_id" = AccessRequestId, Path)), responses((status = 200, body = AccessRequest)))]
async fn approve_access_request(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<AccessRequestId>,
) -> Result<Json<AccessRequest>, ApiError> {
    decide(&s, principal, &ctx, id, true).await
}

/// Deny a pending request. Requires `groups.manage`.
#[utoipa::path(post, path = "/api/v1/access-requests/{access_request_id}/deny", tag = "groups",
    params(("access_request_id" = AccessRequestId, Path)), responses((status = 200, body = AccessRequest)))]
async fn deny_access_request(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<AccessRequestId>,
) -> Result<Json<AccessRequest>, ApiError> {
    decide(&s, principal, &ctx, id, false).await
}
