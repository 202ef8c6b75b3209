//! The OpenID Connect signing keys (`signing_keys`): listed by every node on each reload,
//! changed only inside a transaction (creation at first start, rotation). Inserts give way
//! with `ON CONFLICT DO NOTHING` to the partial unique indexes (one next and one active key
//! per algorithm), and state changes name the state they expect, so a node that loses a race
//! learns it from the result instead of an aborted transaction.

use async_trait::async_trait;
use gatehouse_domain::clock::to_micros;
use gatehouse_domain::oidc::{SigningAlg, SigningKeyStore, SigningKeyWrites, StoredSigningKey};
use gatehouse_domain::{Error, Result};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use crate::error::db;
use crate::rows;
use crate::store::SqlStore;
use crate::tx::SqlTx;

const COLUMNS: &str =
    "kid, alg, private_key, public_jwk, created_at, activated_at, retired_at, removable_at";

fn list_sql() -> String {
    format!("SELECT {COLUMNS} FROM signing_keys ORDER BY created_at, kid")
}

fn key(row: &AnyRow) -> Result<StoredSigningKey> {
    Ok(StoredSigningKey {
        kid: rows::text(row, "kid")?,
        alg: rows::parsed(row, "alg", |raw| {
            SigningAlg::parse(raw)
                .ok_or_else(|| Error::Storage(format!("unknown key algorithm {raw}")))
        })?,
        sealed_private_key: rows::text(row, "private_key")?,
        public_jwk: rows::text(row, "public_jwk")?,
        created_at: rows::time(row, "created_at")?,
        activated_at: rows::opt_time(row, "activated_at")?,
        retired_at: rows::opt_time(row, "retired_at")?,
        removable_at: rows::opt_time(row, "removable_at")?,
    })
}

#[async_trait]
impl SigningKeyStore for SqlStore {
    async fn list_signing_keys(&self) -> Result<Vec<StoredSigningKey>> {
        let found = sqlx::query(&list_sql())
            .fetch_all(self.reader())
            .await
            .map_err(db)?;
        found.iter().map(key).collect()
    }

    async fn delete_removable_signing_keys(&self, now: OffsetDateTime) -> Result<u64> {
        Ok(sqlx::query(
            "DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND removable_at <= $1",
        )
        .bind(to_micros(now))
        .execute(self.writer())
        .await
        .map_err(db)?
        .rows_affected())
    }
}

#[async_trait]
impl SigningKeyWrites for SqlTx {
    async fn list_signing_keys(&mut self) -> Result<Vec<StoredSigningKey>> {
        let found = sqlx::query(&list_sql())
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db)?;
        found.iter().map(key).collect()
    }

    async fn insert_signing_key(&mut self, k: &StoredSigningKey) -> Result<bool> {
        let sql = format!(
            "INSERT INTO signing_keys ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT DO NOTHING"
        );
        let q = sqlx::query(&sql)
            .bind(k.kid.as_str())
            .bind(k.alg.as_str())
            .bind(k.sealed_private_key.as_str())
            .bind(k.public_jwk.as_str())
            .bind(to_micros(k.created_at))
            .bind(k.activated_at.map(to_micros))
            .bind(k.retired_at.map(to_micros))
            .bind(k.removable_at.map(to_micros));
        self.one_row(q).await
    }

    async fn retire_signing_key(
        &mut self,
        kid: &str,
        at: OffsetDateTime,
        removable_at: OffsetDateTime,
    ) -> Result<bool> {
        let q = sqlx::query(
            "UPDATE signing_keys SET retired_at = $1, removable_at = $2 \
             WHERE kid = $3 AND activated_at IS NOT NULL AND retired_at IS NULL",
        )
        .bind(to_micros(at))
        .bind(to_micros(removable_at))
        .bind(kid);
        self.one_row(q).await
    }

    async fn activate_signing_key(&mut self, kid: &str, at: OffsetDateTime) -> Result<bool> {
        let q = sqlx::query(
            "UPDATE signing_keys SET activated_at = $1 WHERE kid = $2 AND activated_at IS NULL",
        )
        .bind(to_micros(at))
        .bind(kid);
        self.one_row(q).await
    }
}

impl SqlTx {
    /// Runs `query`; whether it wrote exactly one row.
    async fn one_row<'q>(
        &mut self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> Result<bool> {
        let affected = query
            .execute(&mut *self.tx)
            .await
            .map_err(db)?
            .rows_affected();
        Ok(affected == 1)
    }
}
