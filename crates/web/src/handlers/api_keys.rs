//! API keys of the caller's business.

use axum::extract::State;
use axum::http::StatusCode;
use gatehouse_domain::audit::RequestContext;
use gatehouse_domain::grants::Grants;
use gatehouse_domain::ids::ApiKeyId;
use gatehouse_domain::model::ApiKey;
use gatehouse_domain::principal::{ApiKeysManage, BusinessAccess, Principal};
use gatehouse_domain::services::NewApiKey;
use gatehouse_domain::types::ApiKeyName;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::extract::{Ctx, Json, Path};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_api_keys, create_api_key))
        .routes(routes!(revoke_api_key))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewApiKeyBody {
    #[schema(value_type = ApiKeyName)]
    name: String,
    /// When the key stops working (RFC 3339), in the future; never when absent or `null`.
    #[serde(default, with = "time::serde::rfc3339::option")]
    expires_at: Option<OffsetDateTime>,
    /// The key's rights; no larger than the creator's.
    #[serde(default)]
    permissions: Grants,
    /// Confirms granting sensitive permissions (required when `permissions` has any).
    #[serde(default)]
    acknowledge_sensitive: bool,
}

/// A new key with its token, which is shown this once and never again.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct CreatedApiKey {
    #[serde(flatten)]
    key: ApiKey,
    /// Send as `Authorization: Bearer <token>`. Store it now: it cannot be shown again.
    token: String,
}

pub(super) async fn create_key(
    s: &AppState,
    access: &BusinessAccess<ApiKeysManage>,
    ctx: &RequestContext,
    body: NewApiKeyBody,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    let new = NewApiKey {
        name: ApiKeyName::parse(&body.name)?,
        expires_at: body.expires_at,
        grants: body.permissions,
        acknowledge_sensitive: body.acknowledge_sensitive,
    };
    let (key, token) = s.gatehouse.create_api_key(access, ctx, new).await?;
    Ok((StatusCode::CREATED, Json(CreatedApiKey { key, token })))
}

/// Create an API key with rights no larger than the caller's. Requires `api_keys.manage`.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = NewApiKeyBody,
    responses((status = 201, body = CreatedApiKey)))]
async fn create_api_key(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Json(body): Json<NewApiKeyBody>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    let access = principal.authorize::<ApiKeysManage>()?;
    create_key(&s, &access, &ctx, body).await
}

/// List the business's API keys, newest first (never their secrets). Requires `api_keys.manage`.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", responses((status = 200, body = Vec<ApiKey>)))]
async fn list_api_keys(
    State(s): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<ApiKey>>, ApiError> {
    let access = principal.authorize::<ApiKeysManage>()?;
    Ok(Json(s.gatehouse.list_api_keys(&access).await?))
}

/// Revoke an API key; it stops working at once. Requires `api_keys.manage`.
#[utoipa::path(delete, path = "/api/v1/api-keys/{api_key_id}", tag = "api-keys",
    params(("api_key_id" = ApiKeyId, Path)), responses((status = 200, body = ApiKey)))]
async fn revoke_api_key(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<ApiKeyId>,
) -> Result<Json<ApiKey>, ApiError> {
    let access = principal.authorize::<ApiKeysManage>()?;
    Ok(Json(s.gatehouse.revoke_api_key(&access, &ctx, id).await?))
}
