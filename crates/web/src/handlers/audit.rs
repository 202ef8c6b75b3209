//! Reading the audit trail. There is no route that changes or deletes an event.

use axum::extract::State;
use gatehouse_domain::audit::{AuditEvent, AuditFilter};
use gatehouse_domain::page::{Page, page_size};
use gatehouse_domain::principal::{AuditView, Principal};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorResponses};
use crate::extract::{Json, Query};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_events))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditQuery {
    /// Id of the acting user or API key.
    actor: Option<String>,
    /// Id of the object acted upon.
    target: Option<String>,
    /// Action or dotted prefix (`group` matches `group.created`).
    action: Option<String>,
    /// Events at or after this time (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<OffsetDateTime>,
    /// Events before this time (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    to: Option<OffsetDateTime>,
    cursor: Option<String>,
    /// Page size, 1–500 (default 50).
    limit: Option<u32>,
}

/// Audit events of the business, newest first. Requires `audit.view`.
#[utoipa::path(get, path = "/api/v1/audit-events", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Page<AuditEvent>), ErrorResponses))]
async fn list_audit_events(
    State(s): State<AppState>,
    principal: Principal,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Page<AuditEvent>>, ApiError> {
    let access = principal.authorize::<AuditView>()?;
    let limit = page_size(q.limit)?;
    let filter = AuditFilter {
        actor_id: q.actor,
        target_id: q.target,
        action_prefix: q.action,
        from: q.from,
        to: q.to,
        before_id: None,
    };
    Ok(Json(
        s.gatehouse
            .list_audit_events(&access, filter, q.cursor.as_deref(), limit)
            .await?,
    ))
}
