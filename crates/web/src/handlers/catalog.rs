//! The permission catalog.

use axum::extract::State;
use gatehouse_domain::catalog::PermissionDef;
use gatehouse_domain::principal::{AnyMember, Principal};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::extract::Json;
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_permissions))
}

/// Every permission the deployment knows, with scope and sensitivity. Any authenticated
/// principal (the operator included).
#[utoipa::path(get, path = "/api/v1/permissions", tag = "catalog", responses((status = 200, body = Vec<PermissionDef>)))]
async fn list_permissions(
    State(s): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<PermissionDef>>, ApiError> {
    if principal.operator().is_err() {
        principal.authorize::<AnyMember>()?;
    }
    Ok(Json(s.gatehouse.catalog().iter().cloned().collect()))
}
