//! The decision API: "may user U use permission P in tenant T, environment E?", answered
//! from this node's snapshot without touching the database.

use std::sync::Arc;

use axum::extract::State;
use gatehouse_domain::authz::matrix::{
    EffectivePermissions, WhoCan, effective_permissions, group_refs, who_can,
};
use gatehouse_domain::authz::{CheckQuery, Reason, Snapshot};
use gatehouse_domain::ids::{TenantId, UserId};
use gatehouse_domain::model::{GroupRef, User};
use gatehouse_domain::page::{Page, decode_cursor, encode_cursor, page_size};
use gatehouse_domain::principal::{AuthzCheck, BusinessAccess, Principal, UsersView};
use gatehouse_domain::types::Environment;
use gatehouse_domain::{Error, Gatehouse};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorResponses};
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
    /// A permission key of the catalog, e.g. `verification.view`.
    permission: String,
    /// Required for environment permissions; ignored for business permissions.
    tenant_id: Option<TenantId>,
    /// Required for environment permissions; ignored for business permissions.
    environment: Option<Environment>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BatchBody {
    /// Up to 1,000 questions.
    checks: Vec<CheckBody>,
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

async fn snapshot<P>(
    gh: &Gatehouse,
    access: &BusinessAccess<P>,
) -> Result<Arc<Snapshot>, ApiError> {
    Ok(gh
        .engine()
        .snapshot_or_load(gh.store(), access.business_id())
        .await?)
}

fn decide(gh: &Gatehouse, snap: &Snapshot, body: &CheckBody) -> Result<DecisionView, Error> {
    let q = CheckQuery {
        user: body.user_id,
        permission: &body.permission,
        tenant: body.tenant_id,
        environment: body.environment,
    };
    let decision = snap.check(gh.engine().permissions(), &q, gh.now())?;
    Ok(DecisionView {
        allowed: decision.allowed,
        reason: decision.reason,
        granted_by: group_refs(snap, &decision.granted_by),
        snapshot_seq: snap.seq(),
    })
}

/// Decide one question. Requires `authz.check`.
#[utoipa::path(post, path = "/api/v1/authz/check", tag = "authz", request_body = CheckBody,
    responses((status = 200, body = DecisionView), ErrorResponses))]
async fn check(
    State(s): State<AppState>,
    principal: Principal,
    Json(body): Json<CheckBody>,
) -> Result<Json<DecisionView>, ApiError> {
    let access = principal.authorize::<AuthzCheck>()?;
    let snap = snapshot(&s.gatehouse, &access).await?;
    Ok(Json(decide(&s.gatehouse, &snap, &body)?))
}

/// Decide up to 1,000 questions against one snapshot, answers in order. An invalid question
/// fails the whole batch with its index. Requires `authz.check`.
#[utoipa::path(post, path = "/api/v1/authz/check-batch", tag = "authz", request_body = BatchBody,
    responses((status = 200, body = BatchView), ErrorResponses))]
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
    let snap = snapshot(&s.gatehouse, &access).await?;
    let mut results = Vec::with_capacity(body.checks.len());
    for (i, q) in body.checks.iter().enumerate() {
        let decision = decide(&s.gatehouse, &snap, q).map_err(|e| {
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
    responses((status = 200, body = EffectivePermissions), ErrorResponses))]
async fn effective_permissions_of_user(
    State(s): State<AppState>,
    principal: Principal,
    Path(id): Path<UserId>,
) -> Result<Json<EffectivePermissions>, ApiError> {
    let access = principal.authorize::<UsersView>()?;
    let snap = snapshot(&s.gatehouse, &access).await?;
    let matrix = effective_permissions(
        &snap,
        s.gatehouse.engine().permissions(),
        id,
        s.gatehouse.now(),
    )
    .ok_or(Error::UserNotFound)?;
    Ok(Json(matrix))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct WhoCanQuery {
    permission: String,
    /// Required for environment permissions.
    tenant: Option<TenantId>,
    /// Required for environment permissions.
    environment: Option<Environment>,
    cursor: Option<String>,
    /// Page size, 1–500 (default 50).
    limit: Option<u32>,
}

/// Users who may use a permission (in a tenant and environment), ordered by id.
/// Requires `users.view`.
#[utoipa::path(get, path = "/api/v1/authz/who-can", tag = "authz", params(WhoCanQuery),
    responses((status = 200, body = Page<User>), ErrorResponses))]
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
    let snap = snapshot(&s.gatehouse, &access).await?;
    let (ids, more) = who_can(
        &snap,
        s.gatehouse.engine().permissions(),
        WhoCan {
            permission: &q.permission,
            tenant: q.tenant,
            environment: q.environment,
        },
        s.gatehouse.now(),
        after,
        limit as usize,
    )?;
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
    }))
}
