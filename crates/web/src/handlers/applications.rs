//! Applications (OpenID Connect clients) of the caller's business.

use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::StatusCode;
use gatehouse_domain::application::{
    ACCESS_TOKEN_TTL, ApplicationView, ClientType, GrantType, ID_TOKEN_TTL, LifetimeBounds,
    MAX_URIS, REFRESH_TOKEN_TTL, RedirectUri, Scope, SigningAlg,
};
use gatehouse_domain::grants::Grants;
use gatehouse_domain::ids::ApplicationId;
use gatehouse_domain::oidc::applications::{ApplicationPatch, NewApplication};
use gatehouse_domain::principal::{ApiKeysManage, ApplicationsManage, Principal};
use gatehouse_domain::types::ApplicationName;
use gatehouse_domain::{Error, Result};
use serde::{Deserialize, Deserializer, Serialize};
use time::Duration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::application_schemas::{
    access_ttl, grant_type_list, grant_type_list_or_null, id_ttl, refresh_ttl, uri_list,
    uri_list_or_null,
};
use crate::error::ApiError;
use crate::extract::{Ctx, Json, Path};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_applications, create_application))
        .routes(routes!(
            get_application,
            update_application,
            delete_application
        ))
        .routes(routes!(rotate_application_secret))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewApplicationBody {
    #[schema(value_type = ApplicationName)]
    name: String,
    client_type: ClientType,
    /// First-party applications sign users in without a consent screen (default `false`).
    #[serde(default)]
    first_party: bool,
    /// Where a sign-in may return (exact match); needed by `authorization_code`.
    #[serde(default)]
    #[schema(schema_with = uri_list)]
    redirect_uris: Vec<String>,
    /// Where a sign-out may return (exact match).
    #[serde(default)]
    #[schema(schema_with = uri_list)]
    post_logout_redirect_uris: Vec<String>,
    /// Where logout tokens are posted (OIDC Back-Channel Logout).
    #[schema(value_type = Option<RedirectUri>)]
    backchannel_logout_uri: Option<String>,
    /// Default `openid`, `profile`, `email`; `openid` is always allowed.
    #[serde(default = "default_scopes")]
    allowed_scopes: BTreeSet<Scope>,
    /// Default `authorization_code`, `refresh_token`.
    #[serde(default = "default_grant_types")]
    #[schema(schema_with = grant_type_list)]
    grant_types: BTreeSet<GrantType>,
    /// Its sign-ins need the second factor, whatever the business's MFA policy.
    #[serde(default)]
    require_mfa: bool,
    #[schema(schema_with = access_ttl)]
    access_token_ttl_secs: Option<i64>,
    #[schema(schema_with = refresh_ttl)]
    refresh_token_ttl_secs: Option<i64>,
    #[schema(schema_with = id_ttl)]
    id_token_ttl_secs: Option<i64>,
    /// Default `ES256`.
    #[serde(default)]
    id_token_signed_response_alg: SigningAlg,
    /// With `client_credentials`: the service's rights, no larger than the caller's (who
    /// also needs `api_keys.manage`).
    service_permissions: Option<Grants>,
    /// Confirms granting sensitive permissions (required when `service_permissions` has any).
    #[serde(default)]
    acknowledge_sensitive: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApplicationPatchBody {
    #[schema(value_type = Option<ApplicationName>)]
    name: Option<String>,
    first_party: Option<bool>,
    #[schema(schema_with = uri_list_or_null)]
    redirect_uris: Option<Vec<String>>,
    #[schema(schema_with = uri_list_or_null)]
    post_logout_redirect_uris: Option<Vec<String>>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<RedirectUri>)]
    backchannel_logout_uri: Option<Option<String>>,
    allowed_scopes: Option<BTreeSet<Scope>>,
    #[schema(schema_with = grant_type_list_or_null)]
    grant_types: Option<BTreeSet<GrantType>>,
    require_mfa: Option<bool>,
    #[schema(schema_with = access_ttl)]
    access_token_ttl_secs: Option<i64>,
    #[schema(schema_with = refresh_ttl)]
    refresh_token_ttl_secs: Option<i64>,
    #[schema(schema_with = id_ttl)]
    id_token_ttl_secs: Option<i64>,
    id_token_signed_response_alg: Option<SigningAlg>,
    /// New rights for the service (`client_credentials`); needs `api_keys.manage`.
    service_permissions: Option<Grants>,
    /// Confirms granting sensitive permissions (required when `service_permissions` has any).
    #[serde(default)]
    acknowledge_sensitive: bool,
}

/// A field that is present, `null` included (`Some(None)`), as opposed to absent (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

fn default_scopes() -> BTreeSet<Scope> {
    [Scope::OpenId, Scope::Profile, Scope::Email].into()
}

fn default_grant_types() -> BTreeSet<GrantType> {
    [GrantType::AuthorizationCode, GrantType::RefreshToken].into()
}

/// A new application; with its secret when it is a confidential client.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct CreatedApplication {
    #[serde(flatten)]
    application: ApplicationView,
    /// The client secret (confidential clients): shown this once, store it now.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
}

/// An application with its new secret.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct RotatedSecret {
    #[serde(flatten)]
    application: ApplicationView,
    /// The new client secret: shown this once; the previous one no longer works.
    client_secret: String,
}

fn uris(raw: &[String], field: &'static str) -> Result<Vec<RedirectUri>> {
    if raw.len() > MAX_URIS {
        return Err(Error::invalid(
            "invalid_redirect_uri",
            field,
            format!("at most {MAX_URIS} addresses"),
        ));
    }
    raw.iter()
        .map(|u| RedirectUri::parse_for(u, field))
        .collect()
}

fn logout_uri(raw: &str) -> Result<RedirectUri> {
    RedirectUri::parse_for(raw, "backchannel_logout_uri")
}

fn ttl(secs: Option<i64>, bounds: LifetimeBounds) -> Result<Option<Duration>> {
    secs.map(|s| bounds.check(s)).transpose()
}

fn new_application(b: NewApplicationBody) -> Result<NewApplication> {
    Ok(NewApplication {
        name: ApplicationName::parse(&b.name)?,
        client_type: b.client_type,
        first_party: b.first_party,
        redirect_uris: uris(&b.redirect_uris, "redirect_uris")?,
        post_logout_redirect_uris: uris(&b.post_logout_redirect_uris, "post_logout_redirect_uris")?,
        backchannel_logout_uri: b
            .backchannel_logout_uri
            .as_deref()
            .map(logout_uri)
            .transpose()?,
        allowed_scopes: b.allowed_scopes,
        grant_types: b.grant_types,
        require_mfa: b.require_mfa,
        access_token_ttl: ttl(b.access_token_ttl_secs, ACCESS_TOKEN_TTL)?,
        refresh_token_ttl: ttl(b.refresh_token_ttl_secs, REFRESH_TOKEN_TTL)?,
        id_token_ttl: ttl(b.id_token_ttl_secs, ID_TOKEN_TTL)?,
        id_token_signed_response_alg: b.id_token_signed_response_alg,
        service_permissions: b.service_permissions,
        acknowledge_sensitive: b.acknowledge_sensitive,
    })
}

fn patch(b: ApplicationPatchBody) -> Result<ApplicationPatch> {
    Ok(ApplicationPatch {
        name: b.name.as_deref().map(ApplicationName::parse).transpose()?,
        first_party: b.first_party,
        redirect_uris: b
            .redirect_uris
            .map(|u| uris(&u, "redirect_uris"))
            .transpose()?,
        post_logout_redirect_uris: b
            .post_logout_redirect_uris
            .map(|u| uris(&u, "post_logout_redirect_uris"))
            .transpose()?,
        backchannel_logout_uri: b
            .backchannel_logout_uri
            .map(|u| u.as_deref().map(logout_uri).transpose())
            .transpose()?,
        allowed_scopes: b.allowed_scopes,
        grant_types: b.grant_types,
        require_mfa: b.require_mfa,
        access_token_ttl: ttl(b.access_token_ttl_secs, ACCESS_TOKEN_TTL)?,
        refresh_token_ttl: ttl(b.refresh_token_ttl_secs, REFRESH_TOKEN_TTL)?,
        id_token_ttl: ttl(b.id_token_ttl_secs, ID_TOKEN_TTL)?,
        id_token_signed_response_alg: b.id_token_signed_response_alg,
        service_permissions: b.service_permissions,
        acknowledge_sensitive: b.acknowledge_sensitive,
    })
}

/// List the business's applications, oldest first (never their secrets). Requires
/// `applications.manage`.
#[utoipa::path(get, path = "/api/v1/applications", tag = "applications",
    responses((status = 200, body = Vec<ApplicationView>)))]
async fn list_applications(
    State(s): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<ApplicationView>>, ApiError> {
    let access = principal.authorize::<ApplicationsManage>()?;
    Ok(Json(s.gatehouse.list_applications(&access).await?))
}

/// Register an application. A confidential client's secret is in the answer, this once. The
/// `client_credentials` grant also needs `api_keys.manage` (its rights are an API key's).
/// Requires `applications.manage`.
#[utoipa::path(post, path = "/api/v1/applications", tag = "applications",
    request_body = NewApplicationBody, responses((status = 201, body = CreatedApplication)))]
async fn create_application(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Json(body): Json<NewApplicationBody>,
) -> Result<(StatusCode, Json<CreatedApplication>), ApiError> {
    let access = principal.authorize::<ApplicationsManage>()?;
    let keys = principal.authorize::<ApiKeysManage>().ok();
    let new = new_application(body)?;
    let (application, client_secret) = s
        .gatehouse
        .create_application(&access, keys.as_ref(), &ctx, new)
        .await?;
    let created = CreatedApplication {
        application,
        client_secret,
    };
    Ok((StatusCode::CREATED, Json(created)))
}

/// Get an application (never its secret). Requires `applications.manage`.
#[utoipa::path(get, path = "/api/v1/applications/{application_id}", tag = "applications",
    params(("application_id" = ApplicationId, Path)), responses((status = 200, body = ApplicationView)))]
async fn get_application(
    State(s): State<AppState>,
    principal: Principal,
    Path(id): Path<ApplicationId>,
) -> Result<Json<ApplicationView>, ApiError> {
    let access = principal.authorize::<ApplicationsManage>()?;
    Ok(Json(s.gatehouse.get_application(&access, id).await?))
}

/// Change an application's settings (not its client type). New service rights need
/// `api_keys.manage`. Requires `applications.manage`.
#[utoipa::path(patch, path = "/api/v1/applications/{application_id}", tag = "applications",
    request_body = ApplicationPatchBody, params(("application_id" = ApplicationId, Path)),
    responses((status = 200, body = ApplicationView)))]
async fn update_application(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<ApplicationId>,
    Json(body): Json<ApplicationPatchBody>,
) -> Result<Json<ApplicationView>, ApiError> {
    let access = principal.authorize::<ApplicationsManage>()?;
    let keys = principal.authorize::<ApiKeysManage>().ok();
    let change = patch(body)?;
    Ok(Json(
        s.gatehouse
            .update_application(&access, keys.as_ref(), &ctx, id, change)
            .await?,
    ))
}

/// Delete an application: its sign-ins and service rights end at once. Requires
/// `applications.manage`.
#[utoipa::path(delete, path = "/api/v1/applications/{application_id}", tag = "applications",
    params(("application_id" = ApplicationId, Path)), responses((status = 204)))]
async fn delete_application(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<ApplicationId>,
) -> Result<StatusCode, ApiError> {
    let access = principal.authorize::<ApplicationsManage>()?;
    s.gatehouse.delete_application(&access, &ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Give a confidential client a new secret, in the answer this once; the previous secret
/// stops working at once. Requires `applications.manage`.
#[utoipa::path(post, path = "/api/v1/applications/{application_id}/secret", tag = "applications",
    params(("application_id" = ApplicationId, Path)), responses((status = 200, body = RotatedSecret)))]
async fn rotate_application_secret(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<ApplicationId>,
) -> Result<Json<RotatedSecret>, ApiError> {
    let access = principal.authorize::<ApplicationsManage>()?;
    let (application, client_secret) = s
        .gatehouse
        .rotate_application_secret(&access, &ctx, id)
        .await?;
    Ok(Json(RotatedSecret {
        application,
        client_secret,
    }))
}
