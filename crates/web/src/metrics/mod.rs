//! `/metrics` in the Prometheus text format, served on its own listener (`metrics.listen`),
//! never on the public port.
//!
//! Off the hot path: a request adds one observation to a lock-free histogram; a decision
//! and a committed audit event bump atomic counters in the core ([`Meters`]). Everything
//! else — queue depths, pool use, how far this node's snapshots are behind the database,
//! resident memory — is read when Prometheus scrapes, never on a request.

mod scrape;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{HistogramOpts, HistogramVec, Registry};

use crate::state::AppState;

/// Request latency buckets, in seconds: sub-millisecond decisions to slow exports.
const BUCKETS: [f64; 14] = [
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The node's metrics: what requests observe, and the registry a scrape fills.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: HistogramVec,
    scraped: scrape::Scraped,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let registry = Registry::new();
        let requests = HistogramVec::new(
            HistogramOpts::new(
                "gatehouse_http_request_duration_seconds",
                "Time to answer a request, by method, route (its pattern) and status class.",
            )
            .buckets(BUCKETS.to_vec()),
            &["method", "route", "status"],
        )
        .unwrap_or_else(|e| unreachable!("the request histogram's options are fixed: {e}"));
        register(&registry, requests.clone());
        let scraped = scrape::Scraped::new(&registry);
        Self {
            registry,
            requests,
            scraped,
        }
    }

    fn observe(&self, method: &Method, route: &str, status: StatusCode, took: Duration) {
        let method = match *method {
            Method::GET => "GET",
            Method::POST => "POST",
            Method::PUT => "PUT",
            Method::PATCH => "PATCH",
            Method::DELETE => "DELETE",
            Method::HEAD => "HEAD",
            Method::OPTIONS => "OPTIONS",
            _ => "other",
        };
        let class = match status.as_u16() / 100 {
            1 => "1xx",
            2 => "2xx",
            3 => "3xx",
            4 => "4xx",
            _ => "5xx",
        };
        self.requests
            .with_label_values(&[method, route, class])
            .observe(took.as_secs_f64());
    }
}

/// Registers a collector whose name is fixed in this module: a clash is a programming error
/// that every scrape test would show.
fn register<C: prometheus::core::Collector + 'static>(registry: &Registry, c: C) {
    if let Err(e) = registry.register(Box::new(c)) {
        tracing::error!(error = %e, "a metric could not be registered");
    }
}

/// Times every request by its route's pattern (`/api/v1/users/{user_id}`, never the path
/// itself, so the series stay few); requests no route matched count as `unmatched`.
pub(crate) async fn observe(State(m): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let response = next.run(req).await;
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    m.observe(&method, route, response.status(), started.elapsed());
    response
}

/// The metrics listener's router: `GET /metrics`.
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(render))
        .with_state(state)
}

async fn render(State(s): State<AppState>) -> Response {
    s.metrics.scraped.update(&s.gatehouse).await;
    let families = s.metrics.registry.gather();
    match prometheus::TextEncoder::new().encode_to_string(&families) {
        Ok(body) => ([(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "encoding the metrics failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
