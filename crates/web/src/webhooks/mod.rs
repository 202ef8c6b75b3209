//! Delivering webhooks over HTTP(S): the host resolved and every address checked (SSRF)
//! before connecting, and the connection pinned to the checked addresses; redirects not
//! followed; only a 2xx answer counts as delivered.

use std::net::{IpAddr, SocketAddr};

use async_trait::async_trait;
use gatehouse_domain::webhooks::address::{check_ip, check_url};
use gatehouse_domain::webhooks::{WebhookConfig, WebhookTransport};
use url::Host;

/// The HTTP client that posts webhook deliveries.
#[derive(Debug, Clone)]
pub struct HttpWebhookTransport {
    timeout: std::time::Duration,
    config: WebhookConfig,
}

impl HttpWebhookTransport {
    pub fn new(timeout: std::time::Duration, config: WebhookConfig) -> Self {
        Self { timeout, config }
    }

    /// The addresses to connect to, each checked.
    async fn addresses(&self, host: Host<&str>, port: u16) -> Result<Vec<SocketAddr>, String> {
        let found: Vec<SocketAddr> = match host {
            Host::Ipv4(ip) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
            Host::Ipv6(ip) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
            Host::Domain(name) => tokio::net::lookup_host((name, port))
                .await
                .map_err(|e| format!("resolving {name} failed: {e}"))?
                .collect(),
        };
        if found.is_empty() {
            return Err("the host has no address".to_owned());
        }
        for a in &found {
            check_ip(a.ip(), self.config)
                .map_err(|_| format!("refused: {} is not a public address", a.ip()))?;
        }
        Ok(found)
    }
}

#[async_trait]
impl WebhookTransport for HttpWebhookTransport {
    async fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: &str,
    ) -> Result<u16, String> {
        let parsed = check_url(url, self.config).map_err(|e| e.to_string())?;
        let host = parsed.host().ok_or("the URL has no host")?;
        let port = parsed
            .port_or_known_default()
            .ok_or("the URL has no port")?;
        let addresses = self.addresses(host.clone(), port).await?;
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .user_agent(concat!("gatehouse/", env!("CARGO_PKG_VERSION")));
        if let Host::Domain(name) = host {
            // Connect only to the addresses just checked (no second, different answer).
            builder = builder.resolve_to_addrs(name, &addresses);
        }
        let client = builder.build().map_err(|e| e.to_string())?;
        let mut request = client
            .post(parsed)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_owned());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("POST failed: {e}"))?;
        Ok(response.status().as_u16())
    }
}
