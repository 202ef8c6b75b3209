//! Businesses, and the operator's bootstrap of a business's first API key.

use axum::extract::State;
use axum::http::StatusCode;
use gatehouse_domain::ids::BusinessId;
use gatehouse_domain::model::Business;
use gatehouse_domain::page::{Page, page_size};
use gatehouse_domain::principal::{ApiKeysManage, Principal};
use gatehouse_domain::types::{BusinessName, Slug};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::api_keys::{CreatedApiKey, NewApiKeyBody, create_key};
use super::schemas;
use crate::error::ApiError;
use crate::extract::{Ctx, Json, Path, Query};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_businesses, create_business))
        .routes(routes!(get_business, rename_business))
        .routes(routes!(create_business_api_key))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewBusinessBody {
    #[schema(value_type = BusinessName)]
    name: String,
    #[schema(value_type = Slug)]
    slug: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RenameBody {
    #[schema(value_type = BusinessName)]
    name: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageQuery {
    #[param(schema_with = schemas::cursor)]
    cursor: Option<String>,
    #[param(schema_with = schemas::page_limit)]
    limit: Option<u32>,
}

/// Create a business. Operator only.
#[utoipa::path(post, path = "/api/v1/businesses", tag = "operator", request_body = NewBusinessBody,
    responses((status = 201, body = Business)))]
async fn create_business(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Json(body): Json<NewBusinessBody>,
) -> Result<(StatusCode, Json<Business>), ApiError> {
    let op = principal.operator()?;
    let (name, slug) = (BusinessName::parse(&body.name)?, Slug::parse(&body.slug)?);
    let business = s.gatehouse.create_business(&op, &ctx, name, slug).await?;
    Ok((StatusCode::CREATED, Json(business)))
}

/// List businesses, by id. Operator only.
#[utoipa::path(get, path = "/api/v1/businesses", tag = "operator", params(PageQuery),
    responses((status = 200, body = Page<Business>)))]
async fn list_businesses(
    State(s): State<AppState>,
    principal: Principal,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<Business>>, ApiError> {
    let op = principal.operator()?;
    let limit = page_size(q.limit)?;
    Ok(Json(
        s.gatehouse
            .list_businesses(&op, q.cursor.as_deref(), limit)
            .await?,
    ))
}

/// Get a business. Operator only.
#[utoipa::path(get, path = "/api/v1/businesses/{business_id}", tag = "operator",
    params(("business_id" = BusinessId, Path)), responses((status = 200, body = Business)))]
async fn get_business(
    State(s): State<AppState>,
    principal: Principal,
    Path(id): Path<BusinessId>,
) -> Result<Json<Business>, ApiError> {
    let op = principal.operator()?;
    Ok(Json(s.gatehouse.get_business(&op, id).await?))
}

/// Rename a business. Operator only.
#[utoipa::path(patch, path = "/api/v1/businesses/{business_id}", tag = "operator", request_body = RenameBody,
    params(("business_id" = BusinessId, Path)), responses((status = 200, body = Business)))]
async fn rename_business(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<BusinessId>,
    Json(body): Json<RenameBody>,
) -> Result<Json<Business>, ApiError> {
    let op = principal.operator()?;
    let name = BusinessName::parse(&body.name)?;
    Ok(Json(
        s.gatehouse.rename_business(&op, &ctx, id, name).await?,
    ))
}

/// Create an API key in a business with any rights (bootstrap). Operator only.
#[utoipa::path(post, path = "/api/v1/businesses/{business_id}/api-keys", tag = "operator", request_body = NewApiKeyBody,
    params(("business_id" = BusinessId, Path)), responses((status = 201, body = CreatedApiKey)))]
async fn create_business_api_key(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<BusinessId>,
    Json(body): Json<NewApiKeyBody>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    let op = principal.operator()?;
    let access = op.in_business::<ApiKeysManage>(id);
    create_key(&s, &access, &ctx, body).await
}
