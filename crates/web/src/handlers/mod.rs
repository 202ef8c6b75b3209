//! Routes. Handlers are thin adapters: check the permission (first line), parse, call the
//! service, map the result.

mod access_health;
mod access_requests;
mod access_reviews;
mod accounts;
mod api_keys;
mod application_schemas;
mod applications;
mod audit;
mod audit_chain;
mod authz;
mod businesses;
mod catalog;
mod group_owners;
mod groups;
mod health;
mod imports;
mod memberships;
mod review_schedules;
mod schemas;
mod settings;
mod tenants;
mod users;
mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, StatusCode};
use axum::response::IntoResponse;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiError;
use crate::error_codes as codes;
use crate::openapi::ApiDoc;
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Every documented API route, with its OpenAPI description.
pub(crate) fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(businesses::routes())
        .merge(tenants::routes())
        .merge(users::routes())
        .merge(imports::routes())
        .merge(accounts::routes())
        .merge(groups::routes())
        .merge(memberships::routes())
        .merge(access_requests::routes())
        .merge(group_owners::routes())
        .merge(access_reviews::routes())
        .merge(review_schedules::routes())
        .merge(api_keys::routes())
        .merge(applications::routes())
        .merge(audit::routes())
        .merge(audit_chain::routes())
        .merge(webhooks::routes())
        .merge(catalog::routes())
        .merge(authz::routes())
        .merge(settings::routes())
        .merge(access_health::routes())
        .merge(health::routes())
}

pub(crate) fn router(state: AppState) -> Router {
    let body_limit = state.config.body_limit;
    let request_timeout = state.config.request_timeout;
    let metrics = state.metrics.clone();
    let (api, generated) = api_routes().split_for_parts();
    let doc = crate::openapi::document(
        &generated,
        state.gatehouse.catalog(),
        state.config.cookie_secure,
    );
    let doc = std::sync::Arc::new(doc);
    let router = api.route("/api/v1/openapi.json", axum::routing::get(move || {
        let doc = doc.clone();
        async move { axum::Json(doc.as_ref().clone()) }
    }))
    .merge(crate::pages::routes())
    .merge(crate::oidc::routes())
    .merge(crate::scim::routes(state.clone()))
    .fallback(crate::pages::fallback)
    .method_not_allowed_fallback(method_not_allowed)
    .layer(DefaultBodyLimit::max(body_limit))
    .layer(axum::middleware::from_fn(move |req, next| refuse_declared_oversize(body_limit, req, next)))
    .layer(CatchPanicLayer::custom(|_| {
        tracing::error!("a request handler panicked");
        ApiError::new(codes::INTERNAL, "internal error; see the server log").into_response()
    }))
    .layer(PropagateRequestIdLayer::new(REQUEST_ID))
    .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
        let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
        tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
    }))
    .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
    .with_state(state);
    // Outermost, so a request cut off by the timeout is timed too.
    with_timeout(router, request_timeout).layer(axum::middleware::from_fn_with_state(
        metrics,
        crate::metrics::observe,
    ))
}

/// Refuses a body whose declared length is over the limit before reading any of it (bodies
/// without a declared length are cut off at the limit while read, by `DefaultBodyLimit`).
async fn refuse_declared_oversize(
    limit: usize,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return ApiError::payload_too_large().into_response();
    }
    next.run(req).await
}

/// Answers a request whose handler takes longer than `after` with 408 `request_timeout`.
fn with_timeout(router: Router, after: std::time::Duration) -> Router {
    router
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            after,
        ))
        .layer(axum::middleware::map_response(explain_timeout))
}

/// The timeout layer answers 408 with an empty body; give it the API's error shape.
async fn explain_timeout(response: axum::response::Response) -> axum::response::Response {
    if response.status() == StatusCode::REQUEST_TIMEOUT
        && !response
            .headers()
            .contains_key(axum::http::header::CONTENT_TYPE)
    {
        return ApiError::new(
            codes::REQUEST_TIMEOUT,
            "the request took longer than the server allows",
        )
        .into_response();
    }
    response
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        codes::METHOD_NOT_ALLOWED,
        "this route does not take that method",
    )
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_request_that_takes_too_long_gets_the_json_error() {
        let slow = Router::new().route(
            "/",
            axum::routing::get(std::future::pending::<&'static str>),
        );
        let app = with_timeout(slow, std::time::Duration::from_millis(1));
        let request = axum::http::Request::get("/").body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "request_timeout");
    }
}
