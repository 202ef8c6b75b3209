//! Reading the audit trail. There is no route that changes or deletes an event.

use axum::extract::State;
use gatehouse_domain::audit::{AuditEvent, AuditFilter};
use gatehouse_domain::page::{Page, page_size};
use gatehouse_domain::principal::{AuditView, Principal};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::schemas;
use crate::error::ApiError;
use crate::extract::{Json, Query};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_events))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditQuery {
    /// Id of the acting user or API key.
    #[param(pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    actor: Option<String>,
    /// Id of the object acted upon.
    #[param(pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    target: Option<String>,
    /// Action or dotted prefix (`group` matches `group.created`).
    #[param(pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    action: Option<String>,
    /// Events at or after this time (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<OffsetDateTime>,
    /// Events before this time (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    to: Option<OffsetDateTime>,
    #[param(schema_with = schemas::cursor)]
    cursor: Option<String>,
    #[param(schema_with = schemas::page_limit)]
    limit: Option<u32>,
}

/// Audit events of the business, newest first. Requires `audit.view`.
#[utoipa::path(get, path = "/api/v1/audit-events", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Page<AuditEvent>)))]
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
