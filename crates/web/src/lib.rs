//! Gatehouse over HTTP: the JSON API under `/api/v1`, its OpenAPI document, health checks.
//!
//! [`app`] builds the router from an [`AppState`]; [`serve`] runs it on a listener until a
//! shutdown signal, so tests can bind port 0 or call the router directly.

mod auth;
mod browser;
mod error;
mod extract;
mod handlers;
mod openapi;
mod pages;
mod state;

use std::future::Future;

use axum::Router;

pub use auth::OperatorToken;
pub use openapi::openapi_json;
pub use state::{AppState, WebConfig};

/// The whole HTTP surface.
pub fn app(state: AppState) -> Router {
    handlers::router(state)
}

/// Serves `app` on `listener` until `shutdown` completes, then lets in-flight requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
