//! The business's security settings.

use axum::extract::State;
use gatehouse_domain::model::{MfaPolicy, PasskeyPolicy, SecuritySettings};
use gatehouse_domain::principal::{Principal, SettingsManage};
use gatehouse_domain::services::SettingsPatch;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::extract::{Ctx, Json};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_security_settings, update_security_settings))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsBody {
    mfa_policy: Option<MfaPolicy>,
    passkey_policy: Option<PasskeyPolicy>,
    #[schema(schema_with = super::schemas::grace_days)]
    mfa_grace_days: Option<u32>,
}

/// The security settings. Requires `settings.manage`.
#[utoipa::path(get, path = "/api/v1/settings/security", tag = "settings", responses((status = 200, body = SecuritySettings)))]
async fn get_security_settings(
    State(s): State<AppState>,
    principal: Principal,
) -> Result<Json<SecuritySettings>, ApiError> {
    let access = principal.authorize::<SettingsManage>()?;
    Ok(Json(s.gatehouse.get_security_settings(&access).await?))
}

/// Change the MFA policy, the passkey policy or the grace period; takes effect on the next check. Requires
/// `settings.manage`.
#[utoipa::path(patch, path = "/api/v1/settings/security", tag = "settings", request_body = SettingsBody,
    responses((status = 200, body = SecuritySettings)))]
async fn update_security_settings(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Json(body): Json<SettingsBody>,
) -> Result<Json<SecuritySettings>, ApiError> {
    let access = principal.authorize::<SettingsManage>()?;
    let patch = SettingsPatch {
        mfa_policy: body.mfa_policy,
        passkey_policy: body.passkey_policy,
        mfa_grace_days: body.mfa_grace_days,
    };
    Ok(Json(
        s.gatehouse
            .update_security_settings(&access, &ctx, patch)
            .await?,
    ))
}
