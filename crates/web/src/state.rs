//! What every request handler shares.

use std::sync::Arc;

use gatehouse_domain::Gatehouse;

use crate::auth::OperatorToken;

/// HTTP settings.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Largest request body accepted, in bytes (413 above it).
    pub body_limit: usize,
    /// Mark cookies `Secure` (and use the `__Host-` prefix, which requires it). Off only for
    /// plain-HTTP local development: the binary warns when it is.
    pub cookie_secure: bool,
    /// Business administrators (`settings.manage`) may create and rename their business's
    /// tenants in the dashboard; otherwise only the operator does.
    pub business_tenants: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            cookie_secure: true,
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
}

impl AppState {
    pub fn new(gatehouse: Gatehouse, operator: OperatorToken, config: WebConfig) -> Self {
        Self {
            gatehouse,
            operator: Arc::new(operator),
            config: Arc::new(config),
        }
    }
}
