//! Bulk import jobs: written after each batch by the node running the import, read by any.

use async_trait::async_trait;
use gatehouse_domain::clock::to_micros;
use gatehouse_domain::ids::{BusinessId, ImportJobId};
use gatehouse_domain::services::{ImportFormat, ImportJob, ImportJobState, ImportJobs};
use gatehouse_domain::{Error, Result};
use sqlx::any::AnyRow;

use crate::error::db;
use crate::rows;
use crate::store::SqlStore;

const COLUMNS: &str = "id, business_id, state, dry_run, format, counts, error, report, created_at, \
                       updated_at, finished_at";

fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Storage(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T> {
    serde_json::from_str(raw).map_err(|e| Error::Storage(e.to_string()))
}

fn job(row: &AnyRow) -> Result<ImportJob> {
    let state = rows::text(row, "state")?;
    let format = rows::text(row, "format")?;
    Ok(ImportJob {
        id: rows::id(row, "id")?,
        business_id: rows::id(row, "business_id")?,
        state: ImportJobState::parse(&state)
            .ok_or_else(|| Error::Storage(format!("unknown import job state {state}")))?,
        dry_run: rows::int(row, "dry_run")? != 0,
        format: ImportFormat::parse(&format)
            .ok_or_else(|| Error::Storage(format!("unknown import format {format}")))?,
        counts: from_json(&rows::text(row, "counts")?)?,
        error: rows::opt_text(row, "error")?
            .map(|e| from_json(&e))
            .transpose()?,
        rows: rows::opt_text(row, "report")?
            .map(|r| from_json(&r))
            .transpose()?,
        created_at: rows::time(row, "created_at")?,
        updated_at: rows::time(row, "updated_at")?,
        finished_at: rows::opt_time(row, "finished_at")?,
    })
}

#[async_trait]
impl ImportJobs for SqlStore {
    async fn insert_import_job(&self, j: &ImportJob) -> Result<()> {
        let sql = format!(
            "INSERT INTO import_jobs ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        );
        sqlx::query(&sql)
            .bind(j.id.to_string())
            .bind(j.business_id.to_string())
            .bind(j.state.as_str())
            .bind(i64::from(j.dry_run))
            .bind(j.format.as_str())
            .bind(json(&j.counts)?)
            .bind(j.error.as_ref().map(json).transpose()?)
            .bind(j.rows.as_ref().map(json).transpose()?)
            .bind(to_micros(j.created_at))
            .bind(to_micros(j.updated_at))
            .bind(j.finished_at.map(to_micros))
            .execute(self.writer())
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn update_import_job(&self, j: &ImportJob) -> Result<()> {
        sqlx::query(
            "UPDATE import_jobs SET state = $1, counts = $2, error = $3, report = $4, updated_at = $5, \
             finished_at = $6 WHERE business_id = $7 AND id = $8",
        )
        .bind(j.state.as_str())
        .bind(json(&j.counts)?)
        .bind(j.error.as_ref().map(json).transpose()?)
        .bind(j.rows.as_ref().map(json).transpose()?)
        .bind(to_micros(j.updated_at))
        .bind(j.finished_at.map(to_micros))
        .bind(j.business_id.to_string())
        .bind(j.id.to_string())
        .execute(self.writer())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn get_import_job(
        &self,
        business: BusinessId,
        id: ImportJobId,
    ) -> Result<Option<ImportJob>> {
        let sql = format!("SELECT {COLUMNS} FROM import_jobs WHERE business_id = $1 AND id = $2");
        sqlx::query(&sql)
            .bind(business.to_string())
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await
            .map_err(db)?
            .map(|r| job(&r))
            .transpose()
    }
}
