//! The audit trail's hash chain: its head, publishing the head, verification.

use axum::extract::State;
use gatehouse_domain::audit_chain::{ChainHead, ChainReport};
use gatehouse_domain::principal::{AuditView, Principal};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::extract::{Ctx, Json, Query};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_audit_chain_head))
        .routes(routes!(publish_audit_chain_head))
        .routes(routes!(verify_audit_chain))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyQuery {
    /// A head published earlier, `SEQ:HASH`: the chain must still pass through it (detects
    /// a rewrite of the history before it, even by someone who could write the database).
    #[param(pattern = r"^[0-9]{1,18}:[0-9a-f]{64}$")]
    head: Option<String>,
}

/// The business's audit chain head: the last event's position and hash. Requires
/// `audit.view`.
#[utoipa::path(get, path = "/api/v1/audit-chain/head", tag = "audit",
    responses((status = 200, body = ChainHead)))]
async fn get_audit_chain_head(
    State(s): State<AppState>,
    principal: Principal,
) -> Result<Json<ChainHead>, ApiError> {
    let access = principal.authorize::<AuditView>()?;
    Ok(Json(s.gatehouse.audit_chain_head(&access).await?))
}

/// Publish the head: records it as the audit event `audit.head_published` (delivered to
/// webhooks subscribed to audit events) and returns it, for anchoring outside Gatehouse.
/// Requires `audit.view`.
#[utoipa::path(post, path = "/api/v1/audit-chain/head/publish", tag = "audit",
    responses((status = 200, body = ChainHead)))]
async fn publish_audit_chain_head(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
) -> Result<Json<ChainHead>, ApiError> {
    let access = principal.authorize::<AuditView>()?;
    Ok(Json(
        s.gatehouse.publish_audit_chain_head(&access, &ctx).await?,
    ))
}

/// Verify the business's audit chain: the first broken link (an event changed, removed,
/// reordered or inserted; the chain's end not at the recorded head; `head` not on the chain),
/// if any. Requires `audit.view`.
#[utoipa::path(get, path = "/api/v1/audit-chain/verify", tag = "audit", params(VerifyQuery),
    responses((status = 200, body = ChainReport)))]
async fn verify_audit_chain(
    State(s): State<AppState>,
    principal: Principal,
    Query(q): Query<VerifyQuery>,
) -> Result<Json<ChainReport>, ApiError> {
    let access = principal.authorize::<AuditView>()?;
    let published = q.head.as_deref().map(ChainHead::parse).transpose()?;
    Ok(Json(
        s.gatehouse.verify_audit_chain(&access, published).await?,
    ))
}
