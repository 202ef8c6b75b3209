//! The access-health advisor: the report (JSON and CSV) and its thresholds.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use gatehouse_domain::principal::{AuditView, Principal, SettingsManage};
use gatehouse_domain::services::advisor::{AccessHealth, AdvisorSettings, AdvisorSettingsPatch};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::extract::{Ctx, Json};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_access_health))
        .routes(routes!(export_access_health))
        .routes(routes!(get_advisor_settings, update_advisor_settings))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdvisorSettingsBody {
    /// A sensitive permission held by more than this percentage of active users is a
    /// finding (1–100).
    #[schema(minimum = 1, maximum = 100)]
    sensitive_share_percent: Option<u32>,
    /// Days without a sign-in after which an account that holds access is dormant (1–3650).
    #[schema(minimum = 1, maximum = 3650)]
    dormant_days: Option<u32>,
    /// Days after which a pending invitation is stale (1–365).
    #[schema(minimum = 1, maximum = 365)]
    invitation_days: Option<u32>,
    /// Days without use after which an API key or application is a finding (1–3650).
    #[schema(minimum = 1, maximum = 3650)]
    unused_days: Option<u32>,
}

/// The business's access health now: score, findings (each with the users, groups, keys
/// or applications involved and the dashboard path of its fix) and the daily score history.
/// Requires `audit.view`.
#[utoipa::path(get, path = "/api/v1/access-health", tag = "access-health",
    responses((status = 200, body = AccessHealth)))]
async fn get_access_health(
    State(s): State<AppState>,
    principal: Principal,
) -> Result<Json<AccessHealth>, ApiError> {
    let access = principal.authorize::<AuditView>()?;
    Ok(Json(s.gatehouse.access_health(&access).await?))
}

/// The findings as CSV, one row per finding and subject. Requires `audit.view`.
#[utoipa::path(get, path = "/api/v1/access-health/export.csv", tag = "access-health",
    responses((status = 200, content_type = "text/csv", body = String)))]
async fn export_access_health(
    State(s): State<AppState>,
    principal: Principal,
) -> Result<Response, ApiError> {
    let access = principal.authorize::<AuditView>()?;
    let report = s.gatehouse.access_health(&access).await?;
    let mut r = crate::pages::access_health_csv(&report).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    Ok(r)
}

/// The advisor's thresholds (part of the security settings). Requires `settings.manage`.
#[utoipa::path(get, path = "/api/v1/settings/advisor", tag = "settings",
    responses((status = 200, body = AdvisorSettings)))]
async fn get_advisor_settings(
    State(s): State<AppState>,
    principal: Principal,
) -> Result<Json<AdvisorSettings>, ApiError> {
    let access = principal.authorize::<SettingsManage>()?;
    Ok(Json(s.gatehouse.get_advisor_settings(&access).await?))
}

/// Change the advisor's thresholds; the next report uses them. Requires `settings.manage`.
#[utoipa::path(patch, path = "/api/v1/settings/advisor", tag = "settings",
    request_body = AdvisorSettingsBody, responses((status = 200, body = AdvisorSettings)))]
async fn update_advisor_settings(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Json(body): Json<AdvisorSettingsBody>,
) -> Result<Json<AdvisorSettings>, ApiError> {
    let access = principal.authorize::<SettingsManage>()?;
    let patch = AdvisorSettingsPatch {
        sensitive_share_percent: body.sensitive_share_percent,
        dormant_days: body.dormant_days,
        invitation_days: body.invitation_days,
        unused_days: body.unused_days,
    };
    Ok(Json(
        s.gatehouse
            .update_advisor_settings(&access, &ctx, patch)
            .await?,
    ))
}
