//! Opening pools and applying migrations.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_domain::{Error, Result};
use sqlx::Executor;
use sqlx::any::{AnyPoolOptions, install_default_drivers};

use crate::group_commit::GroupLimits;
use crate::store::SqlStore;

/// Which database engine a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(Error::Storage(
                "database URL must start with sqlite: or postgres://".to_owned(),
            ))
        }
    }
}

/// Pool settings.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub url: String,
    /// Read connections (SQLite) or all connections (PostgreSQL).
    pub max_connections: u32,
    /// How long a SQLite writer waits for the lock held by another process.
    pub busy_timeout: Duration,
    /// Apply pending migrations before returning.
    pub migrate: bool,
    /// PostgreSQL: listen for other nodes' change notifications (a server wants this; a
    /// one-shot command does not).
    pub listen_for_changes: bool,
    /// SQLite: how write transactions that arrive together share one COMMIT
    /// ([`crate::GroupLimits`]).
    pub group_commit: GroupLimits,
}

impl ConnectOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 16,
            busy_timeout: Duration::from_secs(10),
            migrate: true,
            listen_for_changes: true,
            group_commit: GroupLimits::default(),
        }
    }
}

/// Makes a SQLite URL create the file when missing.
fn sqlite_url(url: &str) -> String {
    if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

fn sqlite_pool(max: u32, busy: Duration) -> AnyPoolOptions {
    let busy_ms = busy.as_millis();
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                // FULL: a commit that returned survives power loss too (invariant: nothing
                // acknowledged is lost).
                for pragma in [
                    format!("PRAGMA busy_timeout = {busy_ms}"),
                    "PRAGMA journal_mode = WAL".to_owned(),
                    "PRAGMA synchronous = FULL".to_owned(),
                    "PRAGMA foreign_keys = ON".to_owned(),
                ] {
                    conn.execute(pragma.as_str()).await?;
                }
                Ok(())
            })
        })
}

/// Opens the database at `options.url`, migrating it unless told not to.
pub async fn connect(options: &ConnectOptions) -> Result<Arc<SqlStore>> {
    install_default_drivers();
    let backend = Backend::of_url(&options.url)?;
    let store = match backend {
        Backend::Sqlite => {
            let url = sqlite_url(&options.url);
            // The writer first, so the file and WAL mode exist before readers open.
            let writer = sqlite_pool(1, options.busy_timeout)
                .connect(&url)
                .await
                .map_err(crate::error::db)?;
            let reader = sqlite_pool(options.max_connections, options.busy_timeout)
                .connect(&url)
                .await
                .map_err(crate::error::db)?;
            SqlStore::new(backend, reader, writer).with_group_commit(options.group_commit)
        }
        Backend::Postgres => {
            let pool = AnyPoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(Duration::from_secs(30))
                .connect(&options.url)
                .await
                .map_err(crate::error::db)?;
            let mut store = SqlStore::new(backend, pool.clone(), pool);
            if options.listen_for_changes {
                store.listen_for_changes(&options.url);
            }
            store
        }
    };
    if options.migrate {
        migrate(&store).await?;
    }
    Ok(Arc::new(store))
}

/// Applies the backend's pending migrations.
pub async fn migrate(store: &SqlStore) -> Result<()> {
    let migrator = match store.backend() {
        Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
    };
    migrator
        .run(store.writer())
        .await
        .map_err(|e| Error::Storage(format!("migration failed: {e}")))?;
    // Events that predate the audit chain are linked into it once, in the order written.
    crate::chain::backfill_all(store).await?;
    // A migration may rewrite tables and indexes: plan with fresh statistics from the start.
    crate::statistics::refresh(store).await
}
