//! What every request handler shares.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_domain::Gatehouse;

use crate::auth::OperatorToken;
use crate::client_ip::{ForwardedHeader, TrustedProxies};
use crate::server::ConnectionLimits;

/// HTTP settings.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Largest request body accepted, in bytes (413 above it).
    pub body_limit: usize,
    /// Mark cookies `Secure` (and use the `__Host-` prefix, which requires it). Off only for
    /// plain-HTTP local development: the binary warns when it is.
    pub cookie_secure: bool,
    /// Peers whose forwarding header names the client (for rate limits and the audit trail).
    pub trusted_proxies: TrustedProxies,
    /// The header those proxies write.
    pub forwarded_header: ForwardedHeader,
    /// A request whose handler takes longer is answered 408.
    pub request_timeout: Duration,
    /// Connection caps and timeouts, applied by [`crate::serve_with`].
    pub connections: ConnectionLimits,
    /// Business administrators (`settings.manage`) may create and rename their business's
    /// tenants in the dashboard; otherwise only the operator does.
    pub business_tenants: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            cookie_secure: true,
            trusted_proxies: TrustedProxies::default(),
            forwarded_header: ForwardedHeader::default(),
            request_timeout: Duration::from_secs(30),
            connections: ConnectionLimits::default(),
            business_tenants: false,
        }
    }
}

/// Shared, cheaply cloned state of the server.
#[derive(Debug, Clone)]
pub struct AppState {
    pub(crate) gatehouse: Gatehouse,
    pub(crate) operator: Arc<OperatorToken>,
    pub(crate) config: Arc<WebConfig>,
    /// Request latencies and what `/metrics` shows.
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
}

impl AppState {
    pub fn new(gatehouse: Gatehouse, operator: OperatorToken, config: WebConfig) -> Self {
        Self {
            gatehouse,
            operator: Arc::new(operator),
            config: Arc::new(config),
            metrics: Arc::new(crate::metrics::Metrics::new()),
        }
    }
}
