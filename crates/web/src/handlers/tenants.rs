//! Tenants: managed by the operator; listed by the business's own principals.

use axum::extract::State;
use axum::http::StatusCode;
use gatehouse_domain::ids::{BusinessId, TenantId};
use gatehouse_domain::model::Tenant;
use gatehouse_domain::principal::{AnyMember, Principal};
use gatehouse_domain::types::{Slug, TenantName};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::extract::{Ctx, Json, Path};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_business_tenants, create_tenant))
        .routes(routes!(rename_tenant, delete_tenant))
        .routes(routes!(list_tenants))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTenantBody {
    #[schema(value_type = TenantName)]
    name: String,
    #[schema(value_type = Slug)]
    slug: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RenameTenantBody {
    #[schema(value_type = TenantName)]
    name: String,
}

/// Create a tenant in a business. Operator only.
#[utoipa::path(post, path = "/api/v1/businesses/{business_id}/tenants", tag = "operator", request_body = NewTenantBody,
    params(("business_id" = BusinessId, Path)), responses((status = 201, body = Tenant)))]
async fn create_tenant(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(business): Path<BusinessId>,
    Json(body): Json<NewTenantBody>,
) -> Result<(StatusCode, Json<Tenant>), ApiError> {
    let op = principal.operator()?;
    let (name, slug) = (TenantName::parse(&body.name)?, Slug::parse(&body.slug)?);
    let tenant = s
        .gatehouse
        .create_tenant(&op, &ctx, business, name, slug)
        .await?;
    Ok((StatusCode::CREATED, Json(tenant)))
}

/// List a business's tenants. Operator only.
#[utoipa::path(get, path = "/api/v1/businesses/{business_id}/tenants", tag = "operator",
    params(("business_id" = BusinessId, Path)), responses((status = 200, body = Vec<Tenant>)))]
async fn list_business_tenants(
    State(s): State<AppState>,
    principal: Principal,
    Path(business): Path<BusinessId>,
) -> Result<Json<Vec<Tenant>>, ApiError> {
    let op = principal.operator()?;
    Ok(Json(
        s.gatehouse.list_business_tenants(&op, business).await?,
    ))
}

/// Rename a tenant. Operator only.
#[utoipa::path(patch, path = "/api/v1/businesses/{business_id}/tenants/{tenant_id}", tag = "operator", request_body = RenameTenantBody,
    params(("business_id" = BusinessId, Path), ("tenant_id" = TenantId, Path)), responses((status = 200, body = Tenant)))]
async fn rename_tenant(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path((business, id)): Path<(BusinessId, TenantId)>,
    Json(body): Json<RenameTenantBody>,
) -> Result<Json<Tenant>, ApiError> {
    let op = principal.operator()?;
    let name = TenantName::parse(&body.name)?;
    Ok(Json(
        s.gatehouse
            .rename_tenant(&op, &ctx, business, id, name)
            .await?,
    ))
}

/// Delete a tenant; refused with `tenant_in_use` while groups name it. Operator only.
#[utoipa::path(delete, path = "/api/v1/businesses/{business_id}/tenants/{tenant_id}", tag = "operator",
    params(("business_id" = BusinessId, Path), ("tenant_id" = TenantId, Path)), responses((status = 204)))]
async fn delete_tenant(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path((business, id)): Path<(BusinessId, TenantId)>,
) -> Result<StatusCode, ApiError> {
    let op = principal.operator()?;
    s.gatehouse.delete_tenant(&op, &ctx, business, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The tenants of the caller's business. Any authenticated principal of the business.
#[utoipa::path(get, path = "/api/v1/tenants", tag = "catalog", responses((status = 200, body = Vec<Tenant>)))]
async fn list_tenants(
    State(s): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<Tenant>>, ApiError> {
    let access = principal.authorize::<AnyMember>()?;
    Ok(Json(s.gatehouse.list_tenants(&access).await?))
}
