//! Webhook endpoints of the caller's business, their secrets and delivery logs.

use axum::extract::State;
use axum::http::StatusCode;
use gatehouse_domain::ids::{WebhookDeliveryId, WebhookId};
use gatehouse_domain::principal::{Principal, WebhooksManage};
use gatehouse_domain::types::Description;
use gatehouse_domain::webhooks::{
    NewWebhook, WebhookDelivery, WebhookEndpoint, WebhookEventType, WebhookPatch,
};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::extract::{Ctx, Json, Path};
use crate::state::AppState;

/// How many deliveries the log shows.
const LOG_SIZE: u32 = 100;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(rotate_webhook_secret))
        .routes(routes!(list_webhook_deliveries))
        .routes(routes!(replay_webhook_delivery))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewWebhookBody {
    /// `https://` URL of a public host (the operator may allow `http://` and private
    /// addresses).
    url: String,
    #[serde(default)]
    #[schema(value_type = Option<Description>)]
    description: Option<String>,
    /// At least one.
    event_types: Vec<WebhookEventType>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhookPatchBody {
    url: Option<String>,
    #[schema(value_type = Option<Description>)]
    description: Option<String>,
    event_types: Option<Vec<WebhookEventType>>,
    /// `true` enables a disabled endpoint again; its waiting deliveries resume, in order.
    enabled: Option<bool>,
}

/// An endpoint with its signing secret, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct WebhookWithSecret {
    #[serde(flatten)]
    endpoint: WebhookEndpoint,
    /// `whsec_<base64>`: verify `webhook-signature` with it (Standard Webhooks). Store it
    /// now: it cannot be shown again.
    secret: String,
}

/// Subscribe an endpoint to kinds of events. Requires `webhooks.manage`.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = NewWebhookBody,
    responses((status = 201, body = WebhookWithSecret)))]
async fn create_webhook(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Json(body): Json<NewWebhookBody>,
) -> Result<(StatusCode, Json<WebhookWithSecret>), ApiError> {
    let access = principal.authorize::<WebhooksManage>()?;
    let new = NewWebhook {
        url: body.url,
        description: Description::parse(body.description.as_deref().unwrap_or_default())?,
        event_types: body.event_types,
    };
    let (endpoint, secret) = s.gatehouse.create_webhook(&access, &ctx, new).await?;
    let created = WebhookWithSecret {
        endpoint,
        secret: secret.expose(),
    };
    Ok((StatusCode::CREATED, Json(created)))
}

/// The business's webhook endpoints (never their secrets). Requires `webhooks.manage`.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<WebhookEndpoint>)))]
async fn list_webhooks(
    State(s): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<WebhookEndpoint>>, ApiError> {
    let access = principal.authorize::<WebhooksManage>()?;
    Ok(Json(s.gatehouse.list_webhooks(&access).await?))
}

/// A webhook endpoint. Requires `webhooks.manage`.
#[utoipa::path(get, path = "/api/v1/webhooks/{webhook_id}", tag = "webhooks",
    params(("webhook_id" = WebhookId, Path)), responses((status = 200, body = WebhookEndpoint)))]
async fn get_webhook(
    State(s): State<AppState>,
    principal: Principal,
    Path(id): Path<WebhookId>,
) -> Result<Json<WebhookEndpoint>, ApiError> {
    let access = principal.authorize::<WebhooksManage>()?;
    Ok(Json(s.gatehouse.get_webhook(&access, id).await?))
}

/// Change an endpoint: its URL, description, event types, or enable it again. Requires
/// `webhooks.manage`.
#[utoipa::path(patch, path = "/api/v1/webhooks/{webhook_id}", tag = "webhooks",
    params(("webhook_id" = WebhookId, Path)), request_body = WebhookPatchBody,
    responses((status = 200, body = WebhookEndpoint)))]
async fn update_webhook(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<WebhookId>,
    Json(body): Json<WebhookPatchBody>,
) -> Result<Json<WebhookEndpoint>, ApiError> {
    let access = principal.authorize::<WebhooksManage>()?;
    let patch = WebhookPatch {
        url: body.url,
        description: body
            .description
            .as_deref()
            .map(Description::parse)
            .transpose()?,
        event_types: body.event_types,
        enabled: body.enabled,
    };
    Ok(Json(
        s.gatehouse.update_webhook(&access, &ctx, id, patch).await?,
    ))
}

/// Unsubscribe an endpoint; its undelivered events are dropped. Requires `webhooks.manage`.
#[utoipa::path(delete, path = "/api/v1/webhooks/{webhook_id}", tag = "webhooks",
    params(("webhook_id" = WebhookId, Path)), responses((status = 204)))]
async fn delete_webhook(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<WebhookId>,
) -> Result<StatusCode, ApiError> {
    let access = principal.authorize::<WebhooksManage>()?;
    s.gatehouse.delete_webhook(&access, &ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new signing secret, shown this once; the previous one keeps signing for 24 hours
/// (both signatures are sent meanwhile). Requires `webhooks.manage`.
#[utoipa::path(post, path = "/api/v1/webhooks/{webhook_id}/rotate-secret", tag = "webhooks",
    params(("webhook_id" = WebhookId, Path)), responses((status = 200, body = WebhookWithSecret)))]
async fn rotate_webhook_secret(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<WebhookId>,
) -> Result<Json<WebhookWithSecret>, ApiError> {
    let access = principal.authorize::<WebhooksManage>()?;
    let (endpoint, secret) = s.gatehouse.rotate_webhook_secret(&access, &ctx, id).await?;
    Ok(Json(WebhookWithSecret {
        endpoint,
        secret: secret.expose(),
    }))
}

/// The endpoint's last 100 deliveries, newest first. Requires `webhooks.manage`.
#[utoipa::path(get, path = "/api/v1/webhooks/{webhook_id}/deliveries", tag = "webhooks",
    params(("webhook_id" = WebhookId, Path)), responses((status = 200, body = Vec<WebhookDelivery>)))]
async fn list_webhook_deliveries(
    State(s): State<AppState>,
    principal: Principal,
    Path(id): Path<WebhookId>,
) -> Result<Json<Vec<WebhookDelivery>>, ApiError> {
    let access = principal.authorize::<WebhooksManage>()?;
    Ok(Json(
        s.gatehouse
            .list_webhook_deliveries(&access, id, LOG_SIZE)
            .await?,
    ))
}

/// Send a delivery again: a copy with a new id, queued after everything else. Requires
/// `webhooks.manage`.
#[utoipa::path(post, path = "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/replay",
    tag = "webhooks",
    params(("webhook_id" = WebhookId, Path), ("delivery_id" = WebhookDeliveryId, Path)),
    responses((status = 201, body = WebhookDelivery)))]
async fn replay_webhook_delivery(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path((id, delivery)): Path<(WebhookId, WebhookDeliveryId)>,
) -> Result<(StatusCode, Json<WebhookDelivery>), ApiError> {
    let access = principal.authorize::<WebhooksManage>()?;
    let copy = s
        .gatehouse
        .replay_webhook_delivery(&access, &ctx, id, delivery)
        .await?;
    Ok((StatusCode::CREATED, Json(copy)))
}
