//! Users of the caller's business.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use gatehouse_domain::ids::{GroupId, TenantId, UserId};
use gatehouse_domain::mail::outbox::MailDelivery;
use gatehouse_domain::model::{User, UserStatus};
use gatehouse_domain::page::{Page, page_size};
use gatehouse_domain::principal::{Principal, UsersManage, UsersView};
use gatehouse_domain::services::{NewUser, UserPatch};
use gatehouse_domain::store::{UserFilter, UserSort};
use gatehouse_domain::types::{DisplayName, Email};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::schemas;
use crate::error::ApiError;
use crate::extract::{Ctx, IfMatch, Json, OptionalJson, Path, Query, etag};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(deactivate_user))
        .routes(routes!(reactivate_user))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserListQuery {
    /// Only users with this status.
    status: Option<UserStatus>,
    /// Only members of this group.
    group: Option<GroupId>,
    /// Only users with any access in this tenant.
    tenant: Option<TenantId>,
    /// Prefix of the email or display name, case-insensitive.
    #[param(pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    q: Option<String>,
    /// The order: `email` (default), `email_desc`, `name`, `name_desc`, `newest`, `oldest`.
    sort: Option<UserSort>,
    /// Count every match, however many. Otherwise a filter (group, tenant, search) matching
    /// more than 1,000 users gets an estimated `total`, flagged by `total_estimated`.
    exact: Option<bool>,
    #[param(schema_with = schemas::cursor)]
    cursor: Option<String>,
    #[param(schema_with = schemas::page_limit)]
    limit: Option<u32>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUserBody {
    #[schema(value_type = Email)]
    email: String,
    #[serde(default)]
    #[schema(value_type = DisplayName)]
    display_name: String,
    #[serde(default)]
    group_ids: Vec<GroupId>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserPatchBody {
    #[schema(value_type = Option<DisplayName>)]
    display_name: Option<String>,
    /// The complete new set of groups.
    group_ids: Option<Vec<GroupId>>,
    /// The version the change is based on (alternative to `If-Match`).
    version: Option<i64>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VersionBody {
    /// The version the change is based on (alternative to `If-Match`).
    version: Option<i64>,
}

/// List users with filters, in the order asked (email by default), keyset-paginated with
/// the total: exact, or for a large filtered set an estimate (`total_estimated`) unless
/// `exact=true`. Requires `users.view`.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserListQuery),
    responses((status = 200, body = Page<User>)))]
async fn list_users(
    State(s): State<AppState>,
    principal: Principal,
    Query(q): Query<UserListQuery>,
) -> Result<Json<Page<User>>, ApiError> {
    let access = principal.authorize::<UsersView>()?;
    let limit = page_size(q.limit)?;
    let filter = UserFilter {
        status: q.status,
        group: q.group,
        tenant: q.tenant,
        query: q.q,
        sort: q.sort.unwrap_or_default(),
        exact_total: q.exact.unwrap_or(false),
        ..UserFilter::default()
    };
    Ok(Json(
        s.gatehouse
            .list_users(&access, &filter, q.cursor.as_deref(), limit)
            .await?,
    ))
}

/// Invite a user: created as `pending`, optionally in groups whose rights the caller holds,
/// and mailed a single-use invitation link. Requires `users.manage`.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserBody,
    responses((status = 201, body = User)))]
async fn create_user(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Json(body): Json<NewUserBody>,
) -> Result<impl IntoResponse, ApiError> {
    let access = principal.authorize::<UsersManage>()?;
    let new = NewUser {
        email: Email::parse(&body.email)?,
        display_name: DisplayName::parse(&body.display_name)?,
        groups: body.group_ids,
    };
    let user = s.gatehouse.create_user(&access, &ctx, new).await?;
    Ok((StatusCode::CREATED, etag(user.version), Json(user)))
}

/// A user with the delivery of their latest invitation mail.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct UserDetail {
    #[serde(flatten)]
    user: User,
    /// The latest invitation mail to the user and where its delivery stands (`queued`,
    /// `sending`, `retrying`, `sent`, `failed` with `last_error`); `null` when none was
    /// written (the first administrator, or an old invitation already pruned).
    invitation_mail: Option<MailDelivery>,
}

/// Get a user, with the delivery state of their invitation mail. Requires `users.view`.
#[utoipa::path(get, path = "/api/v1/users/{user_id}", tag = "users", params(("user_id" = UserId, Path)),
    responses((status = 200, body = UserDetail, headers(("ETag" = String)))))]
async fn get_user(
    State(s): State<AppState>,
    principal: Principal,
    Path(id): Path<UserId>,
) -> Result<impl IntoResponse, ApiError> {
    let access = principal.authorize::<UsersView>()?;
    let user = s.gatehouse.get_user(&access, id).await?;
    let invitation_mail = s.gatehouse.invitation_delivery(&access, id).await?;
    Ok((
        etag(user.version),
        Json(UserDetail {
            user,
            invitation_mail,
        }),
    ))
}

/// Change a user's display name and/or groups. Requires `users.manage`.
#[utoipa::path(patch, path = "/api/v1/users/{user_id}", tag = "users", request_body = UserPatchBody,
    params(("user_id" = UserId, Path), IfMatch),
    responses((status = 200, body = User)))]
async fn update_user(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<UserId>,
    if_match: IfMatch,
    Json(body): Json<UserPatchBody>,
) -> Result<impl IntoResponse, ApiError> {
    let access = principal.authorize::<UsersManage>()?;
    let patch = UserPatch {
        display_name: body
            .display_name
            .as_deref()
            .map(DisplayName::parse)
            .transpose()?,
        groups: body.group_ids,
    };
    let user = s
        .gatehouse
        .update_user(
            &access,
            &ctx,
            id,
            patch,
            if_match.with_version(body.version),
        )
        .await?;
    Ok((etag(user.version), Json(user)))
}

/// Deactivate a user: access ends at once. Requires `users.manage`.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/deactivate", tag = "users", request_body(content = Option<VersionBody>),
    params(("user_id" = UserId, Path), IfMatch),
    responses((status = 200, body = User)))]
async fn deactivate_user(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<UserId>,
    if_match: IfMatch,
    OptionalJson(body): OptionalJson<VersionBody>,
) -> Result<impl IntoResponse, ApiError> {
    let access = principal.authorize::<UsersManage>()?;
    let version = body.and_then(|b| b.version);
    let user = s
        .gatehouse
        .deactivate_user(&access, &ctx, id, if_match.with_version(version))
        .await?;
    Ok((etag(user.version), Json(user)))
}

/// Reactivate a deactivated user. Requires `users.manage`.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/reactivate", tag = "users", request_body(content = Option<VersionBody>),
    params(("user_id" = UserId, Path), IfMatch),
    responses((status = 200, body = User)))]
async fn reactivate_user(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<UserId>,
    if_match: IfMatch,
    OptionalJson(body): OptionalJson<VersionBody>,
) -> Result<impl IntoResponse, ApiError> {
    let access = principal.authorize::<UsersManage>()?;
    let version = body.and_then(|b| b.version);
    let user = s
        .gatehouse
        .reactivate_user(&access, &ctx, id, if_match.with_version(version))
        .await?;
    Ok((etag(user.version), Json(user)))
}
