//! The decision API: "may user U use permission P in tenant T, environment E?", answered
//! from this node's snapshot without touching the database.

use axum::extract::State;
use gatehouse_domain::Error;
use gatehouse_domain::authz::matrix::{EffectivePermissions, WhoCan};
use gatehouse_domain::authz::{CheckQuery, Reason};
use gatehouse_domain::ids::{TenantId, UserId};
use gatehouse_domain::meters::Meters;
use gatehouse_domain::model::{GroupRef, User};
use gatehouse_domain::page::{Page, decode_cursor, encode_cursor, page_size};
use gatehouse_domain::principal::{AuthzCheck, Principal, UsersView};
use gatehouse_domain::services::Checks;
use gatehouse_domain::types::Environment;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

/// The most questions one batch may ask.
pub const MAX_BATCH: usize = 1000;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(check))
        .routes(routes!(check_batch))
        .routes(routes!(effective_permissions_of_user))
        .routes(routes!(list_who_can))
}

/// One question.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckBody {
    user_id: UserId,
    /// A permission key of the catalog, e.g. `verification.view`; a key it does not know is
    /// denied with reason `permission_unknown`.
    permission: String,
    /// Required for environment permissions; ignored for business permissions.
    tenant_id: Option<TenantId>,
    /// Required for environment permissions; ignored for business permissions.
    environment: Option<Environment>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BatchBody {
    #[schema(schema_with = batch_checks)]
    checks: Vec<CheckBody>,
}

fn batch_checks() -> utoipa::openapi::schema::ArrayBuilder {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(utoipa::openapi::Ref::from_schema_name("CheckBody"))
        .max_items(Some(MAX_BATCH))
        .description(Some(format!("Up to {MAX_BATCH} questions.")))
}

/// Every decision, alone or in a batch, has this shape.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct DecisionView {
    allowed: bool,
    reason: Reason,
    /// When allowed: the groups that grant it.
    granted_by: Vec<GroupRef>,
    /// The access-model change sequence the answer was read at.
    snapshot_seq: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct BatchView {
    /// One decision per question, in order.
    results: Vec<DecisionView>,
}

fn decide(checks: &Checks, meters: &Meters, body: &CheckBody) -> Result<DecisionView, Error> {
    let q = CheckQuery {
        user: body.user_id,
        permission: &body.permission,
        tenant: body.tenant_id,
        environment: body.environment,
    };
    let decision = checks.check(&q)?;
    meters.decided(decision.reason);
    Ok(DecisionView {
        allowed: decision.allowed,
        reason: decision.reason,
        granted_by: checks.decisions().group_refs(&decision.granted_by),
        snapshot_seq: checks.decisions().seq(),
    })
}

/// Decide one question. Requires `authz.check`.
#[utoipa::path(post, path = "/api/v1/authz/check", tag = "authz", request_body = CheckBody,
    responses((status = 200, body = DecisionView)))]
async fn check(
    State(s): State<AppState>,
    principal: Principal,
    Json(body): Json<CheckBody>,
) -> Result<Json<DecisionView>, ApiError> {
    let access = principal.authorize::<AuthzCheck>()?;
    let checks = s.gatehouse.checks(&access).await?;
    Ok(Json(decide(&checks, s.gatehouse.meters(), &body)?))
}

/// Decide up to 1,000 questions against one snapshot, answers in order. An invalid question
/// fails the whole batch with its index. Requires `authz.check`.
#[utoipa::path(post, path = "/api/v1/authz/check-batch", tag = "authz", request_body = BatchBody,
    responses((status = 200, body = BatchView)))]
async fn check_batch(
    State(s): State<AppState>,
    principal: Principal,
    Json(body): Json<BatchBody>,
) -> Result<Json<BatchView>, ApiError> {
    let access = principal.authorize::<AuthzCheck>()?;
    if body.checks.len() > MAX_BATCH {
        return Err(Error::invalid(
            "batch_too_large",
            "checks",
            format!("at most {MAX_BATCH} questions per batch"),
        )
        .into());
    }
    let checks = s.gatehouse.checks(&access).await?;
    let mut results = Vec::with_capacity(body.checks.len());
    for (i, q) in body.checks.iter().enumerate() {
        let decision = decide(&checks, s.gatehouse.meters(), q).map_err(|e| {
            let mut err = ApiError::from(e);
            err.details["index"] = serde_json::json!(i);
            err
        })?;
        results.push(decision);
    }
    Ok(Json(BatchView { results }))
}

/// The user's full matrix: tenants × environments × permissions, and business permissions,
/// each with the groups it comes from. Requires `users.view`.
#[utoipa::path(get, path = "/api/v1/users/{user_id}/effective-permissions", tag = "authz", params(("user_id" = UserId, Path)),
    responses((status = 200, body = EffectivePermissions)))]
async fn effective_permissions_of_user(
    State(s): State<AppState>,
    principal: Principal,
    Path(id): Path<UserId>,
) -> Result<Json<EffectivePermissions>, ApiError> {
    let access = principal.authorize::<UsersView>()?;
    Ok(Json(s.gatehouse.effective_permissions(&access, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct WhoCanQuery {
    /// A permission key of the catalog.
    permission: String,
    /// Required for environment permissions (else `tenant_required`, 422).
    tenant: Option<TenantId>,
    /// Required for environment permissions (else `tenant_required`, 422).
    environment: Option<Environment>,
    #[param(schema_with = super::schemas::cursor)]
    cursor: Option<String>,
    #[param(schema_with = super::schemas::page_limit)]
    limit: Option<u32>,
}

/// Users who may use a permission (in a tenant and environment), ordered by id.
/// Requires `users.view`.
#[utoipa::path(get, path = "/api/v1/authz/who-can", tag = "authz", params(WhoCanQuery),
    responses((status = 200, body = Page<User>)))]
async fn list_who_can(
    State(s): State<AppState>,
    principal: Principal,
    Query(q): Query<WhoCanQuery>,
) -> Result<Json<Page<User>>, ApiError> {
    let access = principal.authorize::<UsersView>()?;
    let limit = page_size(q.limit)?;
    let after = q
        .cursor
        .as_deref()
        .map(decode_cursor)
        .transpose()?
        .map(|c| c.parse::<UserId>().map_err(|_| Error::InvalidCursor))
        .transpose()?;
    let question = WhoCan {
        permission: &q.permission,
        tenant: q.tenant,
        environment: q.environment,
    };
    let (ids, more) = s
        .gatehouse
        .who_can(&access, question, after, limit as usize)
        .await?;
    let items = s.gatehouse.get_users(&access, &ids).await?;
    let next_cursor = if more {
        ids.last().map(|id| encode_cursor(&id.to_string()))
    } else {
        None
    };
    Ok(Json(Page {
        items,
        next_cursor,
        total: None,
        total_estimated: false,
    }))
}
