//! The `[server]` section: where to listen, request and connection limits, and which proxies
//! may name the client's address; and the web layer's settings built from it.

use std::time::Duration;

use anyhow::bail;
use gatehouse_web::{ConnectionLimits, ForwardedHeader, TrustedProxies, WebConfig};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// `host:port` to listen on; port 0 picks a free port.
    pub listen: String,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Proxies (CIDR ranges or addresses) whose `forwarded_header` names the client.
    pub trusted_proxies: TrustedProxies,
    /// `x-forwarded-for` or `forwarded` (RFC 7239): the header those proxies write.
    pub forwarded_header: ForwardedHeader,
    /// A handler taking longer is answered 408.
    pub request_timeout_secs: u64,
    /// Time a client has to send a whole request head.
    pub header_read_timeout_secs: u64,
    /// A connection on which nothing moves for this long is closed.
    pub idle_timeout_secs: u64,
    /// Connections open at once, in all and from one address.
    pub max_connections: usize,
    pub max_connections_per_address: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        let web = WebConfig::default();
        Self {
            listen: "127.0.0.1:8080".to_owned(),
            body_limit_bytes: web.body_limit,
            trusted_proxies: web.trusted_proxies,
            forwarded_header: web.forwarded_header,
            request_timeout_secs: web.request_timeout.as_secs(),
            header_read_timeout_secs: web.connections.header_read_timeout.as_secs(),
            idle_timeout_secs: web.connections.idle_timeout.as_secs(),
            max_connections: web.connections.max_connections,
            max_connections_per_address: web.connections.max_connections_per_address,
        }
    }
}

const MAX_TIMEOUT_SECS: u64 = 3600;
const MAX_CONNECTIONS: usize = 1_000_000;

impl ServerConfig {
    /// The web layer's settings; out-of-range values are an error naming the key.
    pub fn web(&self, cookie_secure: bool) -> anyhow::Result<WebConfig> {
        let secs = |key: &str, value: u64| {
            if !(1..=MAX_TIMEOUT_SECS).contains(&value) {
                bail!("server.{key} must be 1 to {MAX_TIMEOUT_SECS} seconds, not {value}");
            }
            Ok(Duration::from_secs(value))
        };
        if !(1..=MAX_CONNECTIONS).contains(&self.max_connections) {
            bail!(
                "server.max_connections must be 1 to {MAX_CONNECTIONS}, not {}",
                self.max_connections
            );
        }
        if !(1..=self.max_connections).contains(&self.max_connections_per_address) {
            bail!(
                "server.max_connections_per_address must be 1 to server.max_connections ({}), not {}",
                self.max_connections,
                self.max_connections_per_address
            );
        }
        Ok(WebConfig {
            body_limit: self.body_limit_bytes,
            cookie_secure,
            trusted_proxies: self.trusted_proxies.clone(),
            forwarded_header: self.forwarded_header,
            request_timeout: secs("request_timeout_secs", self.request_timeout_secs)?,
            connections: ConnectionLimits {
                header_read_timeout: secs(
                    "header_read_timeout_secs",
                    self.header_read_timeout_secs,
                )?,
                idle_timeout: secs("idle_timeout_secs", self.idle_timeout_secs)?,
                max_connections: self.max_connections,
                max_connections_per_address: self.max_connections_per_address,
            },
            // Set from `operator.business_tenants` by `serve`.
            business_tenants: false,
        })
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's `Jail` closures must return `figment::Result`
mod tests {
    use std::path::Path;

    use figment::Jail;

    use crate::config::{Config, Overrides};

    fn load(file: Option<&str>) -> Result<Config, figment::Error> {
        Config::load(file.map(Path::new), &Overrides::default()).map_err(|e| *e)
    }

    #[test]
    fn defaults_trust_no_proxy_and_limit_connections() {
        Jail::expect_with(|_| {
            let web = load(None)?.server.web(true).unwrap();
            assert!(web.trusted_proxies.is_empty());
            assert_eq!(
                web.forwarded_header,
                gatehouse_web::ForwardedHeader::XForwardedFor
            );
            assert_eq!(web.request_timeout.as_secs(), 30);
            assert_eq!(web.connections.header_read_timeout.as_secs(), 10);
            assert_eq!(web.connections.idle_timeout.as_secs(), 60);
            assert_eq!(web.connections.max_connections, 10_000);
            assert_eq!(web.connections.max_connections_per_address, 256);
            Ok(())
        });
    }

    #[test]
    fn trusted_proxies_come_from_the_file_or_the_environment() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "gatehouse.toml",
                r#"
                [server]
                trusted_proxies = ["10.0.0.0/8", "fd00::/8", "192.0.2.7"]
                forwarded_header = "forwarded"
                header_read_timeout_secs = 5
                idle_timeout_secs = 20
                max_connections = 500
                max_connections_per_address = 50
                "#,
            )?;
            let server = load(Some("gatehouse.toml"))?.server;
            assert_eq!(
                server.trusted_proxies.to_string(),
                "10.0.0.0/8, fd00::/8, 192.0.2.7/32"
            );
            assert_eq!(
                server.forwarded_header,
                gatehouse_web::ForwardedHeader::Forwarded
            );
            let web = server.web(true).unwrap();
            assert_eq!(web.connections.header_read_timeout.as_secs(), 5);
            assert_eq!(web.connections.idle_timeout.as_secs(), 20);
            assert_eq!(web.connections.max_connections, 500);
            assert_eq!(web.connections.max_connections_per_address, 50);

            jail.set_env("GATEHOUSE__SERVER__TRUSTED_PROXIES", "172.16.0.0/12");
            let server = load(Some("gatehouse.toml"))?.server;
            assert_eq!(server.trusted_proxies.to_string(), "172.16.0.0/12");
            jail.set_env(
                "GATEHOUSE__SERVER__TRUSTED_PROXIES",
                "172.16.0.0/12, 192.168.1.1",
            );
            let server = load(None)?.server;
            assert_eq!(
                server.trusted_proxies.to_string(),
                "172.16.0.0/12, 192.168.1.1/32"
            );
            jail.set_env(
                "GATEHOUSE__SERVER__TRUSTED_PROXIES",
                "[\"10.0.0.0/8\", \"fd00::/8\"]",
            );
            let server = load(None)?.server;
            assert_eq!(server.trusted_proxies.to_string(), "10.0.0.0/8, fd00::/8");
            Ok(())
        });
    }

    #[test]
    fn an_invalid_cidr_is_an_error_naming_the_key_and_the_entry() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "bad.toml",
                "[server]\ntrusted_proxies = [\"10.0.0.0/8\", \"10.0.0.0/33\"]\n",
            )?;
            let err = load(Some("bad.toml")).unwrap_err().to_string();
            assert!(err.contains("trusted_proxies"), "{err}");
            assert!(err.contains("10.0.0.0/33"), "{err}");

            jail.set_env("GATEHOUSE__SERVER__TRUSTED_PROXIES", "lb.internal");
            let err = load(None).unwrap_err().to_string();
            assert!(err.to_lowercase().contains("trusted_proxies"), "{err}");
            assert!(err.contains("lb.internal"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn out_of_range_limits_are_errors_naming_the_key() {
        Jail::expect_with(|jail| {
            for (key, value) in [
                ("HEADER_READ_TIMEOUT_SECS", "0"),
                ("IDLE_TIMEOUT_SECS", "86400"),
                ("REQUEST_TIMEOUT_SECS", "0"),
                ("MAX_CONNECTIONS", "0"),
                ("MAX_CONNECTIONS_PER_ADDRESS", "20000"),
            ] {
                jail.clear_env();
                jail.set_env(format!("GATEHOUSE__SERVER__{key}"), value);
                let err = load(None)?.server.web(true).unwrap_err().to_string();
                assert!(err.contains(&key.to_lowercase()), "{key}: {err}");
            }
            jail.clear_env();
            jail.set_env("GATEHOUSE__SERVER__FORWARDED_HEADER", "x-real-ip");
            let err = load(None).unwrap_err().to_string();
            assert!(err.to_lowercase().contains("forwarded_header"), "{err}");
            Ok(())
        });
    }
}
