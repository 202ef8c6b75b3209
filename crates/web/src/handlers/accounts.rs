//! Administrators' actions on a user's account: invitations (resend, revoke), resetting
//! the second factor or the password, unlocking. Each ends what it must at once.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use gatehouse_domain::ids::UserId;
use gatehouse_domain::model::User;
use gatehouse_domain::principal::{Principal, UsersManage};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::extract::{Ctx, Json, Path, etag};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(resend_invitation, revoke_invitation))
        .routes(routes!(reset_user_mfa))
        .routes(routes!(reset_user_password))
        .routes(routes!(unlock_user))
}

/// Send a pending user a new invitation mail; the previous link stops working.
/// Requires `users.manage`.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/invitation", tag = "users", params(("user_id" = UserId, Path)),
    responses((status = 200, body = User)))]
async fn resend_invitation(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<UserId>,
) -> Result<impl IntoResponse, ApiError> {
    let access = principal.authorize::<UsersManage>()?;
    let user = s.gatehouse.resend_invitation(&access, &ctx, id).await?;
    Ok((etag(user.version), Json(user)))
}

/// Void a pending user's invitation link (the user stays pending). Requires `users.manage`.
#[utoipa::path(delete, path = "/api/v1/users/{user_id}/invitation", tag = "users", params(("user_id" = UserId, Path)),
    responses((status = 204)))]
async fn revoke_invitation(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<UserId>,
) -> Result<StatusCode, ApiError> {
    let access = principal.authorize::<UsersManage>()?;
    s.gatehouse.revoke_invitation(&access, &ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove the user's authenticator and recovery codes and end their sessions; they enrol
/// again at their next sign-in if the MFA policy requires it. Requires `users.manage`.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/reset-mfa", tag = "users", params(("user_id" = UserId, Path)),
    responses((status = 200, body = User)))]
async fn reset_user_mfa(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<UserId>,
) -> Result<impl IntoResponse, ApiError> {
    let access = principal.authorize::<UsersManage>()?;
    let user = s.gatehouse.reset_user_mfa(&access, &ctx, id).await?;
    Ok((etag(user.version), Json(user)))
}

/// Mail the user a password-reset link (the caller never sees it), clear their password
/// and end their sessions. Requires `users.manage`.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/reset-password", tag = "users", params(("user_id" = UserId, Path)),
    responses((status = 202, body = User)))]
async fn reset_user_password(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<UserId>,
) -> Result<impl IntoResponse, ApiError> {
    let access = principal.authorize::<UsersManage>()?;
    let user = s.gatehouse.reset_user_password(&access, &ctx, id).await?;
    Ok((StatusCode::ACCEPTED, Json(user)))
}

/// Lift a lock from failed sign-ins before it runs out. Requires `users.manage`.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/unlock", tag = "users", params(("user_id" = UserId, Path)),
    responses((status = 200, body = User)))]
async fn unlock_user(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<UserId>,
) -> Result<impl IntoResponse, ApiError> {
    let access = principal.authorize::<UsersManage>()?;
    let user = s.gatehouse.unlock_user(&access, &ctx, id).await?;
    Ok((etag(user.version), Json(user)))
}
