//! Gatehouse over HTTP: the JSON API under `/api/v1`, its OpenAPI document, health checks.
//!
//! [`app`] builds the router from an [`AppState`]; [`serve_with`] runs it on a listener with
//! connection limits until a shutdown signal, so tests can bind port 0 or call the router
//! directly.

mod auth;
mod browser;
mod client_ip;
mod error;
mod error_codes;
mod extract;
mod handlers;
mod metrics;
pub mod oidc;
mod openapi;
mod pages;
mod scim;
mod server;
mod state;
#[cfg(feature = "testing")]
pub mod testing;
pub mod webhooks;

use std::future::Future;

use axum::Router;

pub use auth::OperatorToken;
pub use client_ip::{ForwardedHeader, InvalidProxyNet, TrustedProxies};
pub use metrics::metrics_app;
pub use openapi::openapi_json;
pub use server::{ConnectionLimits, serve_with};
pub use state::{AppState, WebConfig};

/// The whole HTTP surface.
pub fn app(state: AppState) -> Router {
    handlers::router(state)
}

/// [`serve_with`] the default limits.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, app, &WebConfig::default(), shutdown).await
}
