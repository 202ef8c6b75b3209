//! Throwaway databases for tests: a fresh SQLite file in a temporary folder, or a fresh
//! schema in the PostgreSQL named by `GATEHOUSE_TEST_POSTGRES_URL`.
//!
//! Without that variable PostgreSQL tests are skipped with a notice, except under CI
//! (`CI=true`), where a missing or unreachable server fails the run.

use std::sync::Arc;

use sqlx::AnyConnection;
pub mod bench;
mod plans;
mod seed;

pub use crate::queries::user_members::Members;
pub use plans::{explain_groups_list, explain_users_list, page_ids};
pub use seed::{SeedSpec, Seeded, seed, seed_id, seed_many};

use sqlx::Connection;

use crate::{Backend, ConnectOptions, SqlStore, connect};

/// The environment variable naming the test PostgreSQL server.
pub const POSTGRES_URL_VAR: &str = "GATEHOUSE_TEST_POSTGRES_URL";

/// A database that lives as long as the test holds it.
#[derive(Debug)]
pub struct TestDatabase {
    pub store: Arc<SqlStore>,
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
}

/// Why no test database could be made.
#[derive(Debug)]
pub enum Unavailable {
    /// PostgreSQL is not configured here; the test should be skipped.
    Skipped,
    Failed(String),
}

impl TestDatabase {
    pub async fn sqlite() -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let url = format!("sqlite://{}", dir.path().join("gatehouse.db").display());
        let store = connect(&ConnectOptions::new(url.clone()))
            .await
            .map_err(|e| e.to_string())?;
        Ok(Self {
            store,
            url,
            backend: Backend::Sqlite,
            _dir: Some(dir),
        })
    }

    /// A new schema of its own in the test server, so tests never see each other's rows.
    pub async fn postgres() -> Result<Self, Unavailable> {
        let base = match std::env::var(POSTGRES_URL_VAR) {
            Ok(url) if !url.is_empty() => url,
            _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
                return Err(Unavailable::Failed(format!(
                    "CI=true but {POSTGRES_URL_VAR} is not set"
                )));
            }
            _ => return Err(Unavailable::Skipped),
        };
        sqlx::any::install_default_drivers();
        let failed = |e: sqlx::Error| Unavailable::Failed(format!("PostgreSQL at {base}: {e}"));
        let schema = format!("gh_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = AnyConnection::connect(&base).await.map_err(failed)?;
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut admin)
            .await
            .map_err(failed)?;
        admin.close().await.map_err(failed)?;
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        let mut options = ConnectOptions::new(url.clone());
        options.max_connections = 8;
        let store = connect(&options)
            .await
            .map_err(|e| Unavailable::Failed(e.to_string()))?;
        Ok(Self {
            store,
            url,
            backend: Backend::Postgres,
            _dir: None,
        })
    }
}
