//! Temporary access: the business's memberships that have an end.

use axum::extract::State;
use gatehouse_domain::principal::{Principal, UsersView};
use gatehouse_domain::services::temporary::TemporaryMembership;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::extract::Json;
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_temporary_memberships))
}

/// List memberships that end (temporary access), soonest end first; ended ones are gone
/// from the list (and their rights from every check) at their end. Requires `users.view`.
#[utoipa::path(get, path = "/api/v1/memberships/temporary", tag = "groups",
    responses((status = 200, body = Vec<TemporaryMembership>)))]
async fn list_temporary_memberships(
    State(s): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<TemporaryMembership>>, ApiError> {
    let access = principal.authorize::<UsersView>()?;
    Ok(Json(s.gatehouse.list_temporary_memberships(&access).await?))
}
