//! The deployment's configuration, layered: built-in defaults, then a TOML file (`--config`),
//! then environment variables `GATEHOUSE__SECTION__KEY`, then command-line flags. Unknown keys
//! are an error that names the key; secrets are hidden from `Debug`.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use gatehouse_domain::catalog::PermissionConfig;
use serde::{Deserialize, Serialize};

use crate::secret::{DatabaseUrl, Secret};
use crate::server_config::ServerConfig;

/// Prefix of the environment variables read; sections and keys are separated by `__`.
pub const ENV_PREFIX: &str = "GATEHOUSE__";

/// The file name of the embedded database inside the data directory.
pub const SQLITE_FILE: &str = "gatehouse.db";

/// Everything the binary can be told.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the embedded database and the operator token's hash live.
    pub data_dir: PathBuf,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub operator: OperatorConfig,
    pub log: LogConfig,
    pub catalog: CatalogConfig,
    pub authz: AuthzConfig,
    pub auth: crate::auth_config::AuthSettings,
    pub mail: crate::auth_config::MailSettings,
    pub oidc: crate::oidc_config::OidcSettings,
    pub webhooks: crate::webhooks_config::WebhooksConfig,
    pub metrics: MetricsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            operator: OperatorConfig::default(),
            log: LogConfig::default(),
            catalog: CatalogConfig::default(),
            authz: AuthzConfig::default(),
            auth: Default::default(),
            mail: Default::default(),
            oidc: Default::default(),
            webhooks: Default::default(),
            metrics: MetricsConfig::default(),
        }
    }
}

/// Prometheus metrics.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Where `GET /metrics` is served (Prometheus text format), e.g. `127.0.0.1:9464`: a
    /// listener of its own, so the metrics never share the public port. Unset: not served.
    pub listen: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://…` or `postgres://…`; by default a SQLite file in the data directory.
    pub url: Option<DatabaseUrl>,
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: None,
            max_connections: 16,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OperatorConfig {
    /// A fixed operator token (`gho_…`). Without it one is generated into the data directory.
    pub token: Option<Secret>,
    /// Let business administrators (`settings.manage`) create and rename their own tenants
    /// in the dashboard. Off: only the operator does (API, CLI, operator console).
    pub business_tenants: bool,
}

/// How log lines are written (to standard error).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A `tracing` filter: `info`, `warn`, `gatehouse=debug,sqlx=warn`, …
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            level: "info".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CatalogConfig {
    /// Permissions to add, or built-in ones to relabel or mark sensitive.
    pub permissions: Vec<PermissionConfig>,
}

/// The access engine's change feed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthzConfig {
    /// How often this node polls for other nodes' changes, in milliseconds (10–60000). It
    /// bounds how long another node's write takes to reach this node's checks.
    pub poll_interval_ms: u64,
    /// PostgreSQL: wake the feed as soon as another node commits (LISTEN/NOTIFY), between
    /// polls. Off: polling alone (behind a pooler in transaction mode, or on a database
    /// without LISTEN/NOTIFY); a change then takes up to one poll interval to arrive.
    pub notifications: bool,
}

impl Default for AuthzConfig {
    fn default() -> Self {
        Self {
            poll_interval_ms: 100,
            notifications: true,
        }
    }
}

impl AuthzConfig {
    pub fn poll_interval(&self) -> anyhow::Result<std::time::Duration> {
        if !(10..=60_000).contains(&self.poll_interval_ms) {
            anyhow::bail!(
                "authz.poll_interval_ms must be 10 to 60000, not {}",
                self.poll_interval_ms
            );
        }
        Ok(std::time::Duration::from_millis(self.poll_interval_ms))
    }
}

/// Values given as command-line flags: the last, strongest layer.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub log_format: Option<LogFormat>,
}

impl Config {
    /// The layers, weakest first. Defaults are the serde defaults of the structs above.
    pub fn figment(file: Option<&Path>, overrides: &Overrides) -> Figment {
        let mut figment = Figment::new();
        if let Some(path) = file {
            // `file_exact`: a missing file is an error, and no parent folder is searched.
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(Env::prefixed(ENV_PREFIX).split("__"));
        if let Some(listen) = &overrides.listen {
            figment = figment.merge(Serialized::default("server.listen", listen));
        }
        if let Some(dir) = &overrides.data_dir {
            figment = figment.merge(Serialized::default("data_dir", dir));
        }
        if let Some(url) = &overrides.database_url {
            figment = figment.merge(Serialized::default("database.url", url));
        }
        if let Some(format) = overrides.log_format {
            figment = figment.merge(Serialized::default("log.format", format));
        }
        figment
    }

    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, Box<figment::Error>> {
        Self::figment(file, overrides).extract().map_err(Box::new)
    }

    /// The database to use: the configured URL, or the SQLite file in the data directory.
    pub fn database_url(&self) -> DatabaseUrl {
        match &self.database.url {
            Some(url) => url.clone(),
            None => DatabaseUrl::new(format!("sqlite://{}", self.sqlite_path().display())),
        }
    }

    /// The embedded database file, used when no URL is configured.
    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join(SQLITE_FILE)
    }

    /// Whether the database is the default one inside the data directory.
    pub fn uses_embedded_database(&self) -> bool {
        self.database.url.is_none()
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's `Jail` closures must return `figment::Result`
mod tests {
    use figment::Jail;

    use super::*;

    fn load(file: Option<&str>, overrides: &Overrides) -> Result<Config, figment::Error> {
        Config::load(file.map(Path::new), overrides).map_err(|e| *e)
    }

    #[test]
    fn defaults_without_any_source() {
        Jail::expect_with(|_| {
            let c = load(None, &Overrides::default())?;
            assert_eq!(c.server.listen, "127.0.0.1:8080");
            assert_eq!(c.server.body_limit_bytes, 1024 * 1024);
            assert_eq!(c.data_dir, PathBuf::from("./data"));
            assert_eq!(c.database_url().expose(), "sqlite://./data/gatehouse.db");
            assert!(c.uses_embedded_database());
            assert_eq!(c.log.format, LogFormat::Text);
            assert!(c.operator.token.is_none());
            Ok(())
        });
    }

    #[test]
    fn layers_apply_in_order_file_env_flags() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "gatehouse.toml",
                r#"
                data_dir = "/srv/file"
                [server]
                listen = "10.0.0.1:1"
                body_limit_bytes = 2048
                [database]
                max_connections = 4
                [log]
                format = "json"
                level = "debug"
                [[catalog.permissions]]
                key = "reports.export"
                label = "Export reports"
                scope = "environment"
                sensitive = true
                "#,
            )?;
            jail.set_env("GATEHOUSE__SERVER__LISTEN", "10.0.0.2:2");
            jail.set_env("GATEHOUSE__DATABASE__MAX_CONNECTIONS", "8");
            jail.set_env("GATEHOUSE__DATA_DIR", "/srv/env");
            let flags = Overrides {
                listen: Some("10.0.0.3:3".to_owned()),
                ..Overrides::default()
            };
            let c = load(Some("gatehouse.toml"), &flags)?;
            assert_eq!(c.server.listen, "10.0.0.3:3", "flag beats env and file");
            assert_eq!(c.database.max_connections, 8, "env beats file");
            assert_eq!(c.data_dir, PathBuf::from("/srv/env"));
            assert_eq!(c.server.body_limit_bytes, 2048, "file beats default");
            assert_eq!(c.log.format, LogFormat::Json);
            assert_eq!(c.log.level, "debug");
            assert_eq!(c.catalog.permissions.len(), 1);
            assert_eq!(c.database_url().expose(), "sqlite:///srv/env/gatehouse.db");

            let flags = Overrides {
                data_dir: Some(PathBuf::from("/srv/flag")),
                database_url: Some("postgres://gh@db/gatehouse".to_owned()),
                log_format: Some(LogFormat::Text),
                ..Overrides::default()
            };
            let c = load(Some("gatehouse.toml"), &flags)?;
            assert_eq!(c.data_dir, PathBuf::from("/srv/flag"));
            assert_eq!(c.database_url().expose(), "postgres://gh@db/gatehouse");
            assert!(!c.uses_embedded_database());
            assert_eq!(c.log.format, LogFormat::Text);
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_key() {
        Jail::expect_with(|jail| {
            jail.create_file("typo.toml", "[server]\nlisten_address = \"0.0.0.0:80\"\n")?;
            let err = load(Some("typo.toml"), &Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains("listen_address"), "{err}");

            jail.create_file("section.toml", "[serverr]\nlisten = \"0.0.0.0:80\"\n")?;
            let err = load(Some("section.toml"), &Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains("serverr"), "{err}");

            jail.create_file(
                "perm.toml",
                "[[catalog.permissions]]\nkey = \"x.y\"\nlable = \"X\"\n",
            )?;
            let err = load(Some("perm.toml"), &Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains("lable"), "{err}");

            jail.set_env("GATEHOUSE__DATABASE__PASSWORD", "x");
            let err = load(None, &Overrides::default()).unwrap_err().to_string();
            assert!(err.contains("password"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        Jail::expect_with(|_| {
            assert!(load(Some("nowhere.toml"), &Overrides::default()).is_err());
            Ok(())
        });
    }

    #[test]
    fn debug_hides_secrets() {
        Jail::expect_with(|jail| {
            jail.set_env("GATEHOUSE__OPERATOR__TOKEN", "gho_VerySecretOperatorToken");
            jail.set_env(
                "GATEHOUSE__DATABASE__URL",
                "postgres://gatehouse:hunter2@db.internal:5432/gatehouse",
            );
            let c = load(None, &Overrides::default())?;
            assert_eq!(
                c.operator.token.as_ref().map(Secret::expose),
                Some("gho_VerySecretOperatorToken")
            );
            assert_eq!(
                c.database_url().expose(),
                "postgres://gatehouse:hunter2@db.internal:5432/gatehouse"
            );
            let shown = format!("{c:?} {c:#?}");
            assert!(!shown.contains("VerySecret"), "{shown}");
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(
                shown.contains("db.internal"),
                "the rest of the URL stays readable: {shown}"
            );
            Ok(())
        });
    }
}
