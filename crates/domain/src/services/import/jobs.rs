//! Import jobs: the API's asynchronous imports. A job is a row in the database, updated after
//! every batch; its import runs on the node that took the request. A node that stops (or
//! crashes) mid-import leaves its job `running` with no more updates: a job not updated for
//! [`IMPORT_JOB_STALE_AFTER`] is reported `failed` (`import_interrupted`), with the rows of the
//! batches committed before the stop written and the rest not. Running the file again
//! finishes it (written rows are skips).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::parse::{self, ImportFormat, RowError};
use super::{ImportCounts, RowOutcome};
use crate::Gatehouse;
use crate::audit::RequestContext;
use crate::error::{Error, Result};
use crate::ids::{BusinessId, ImportJobId};
use crate::principal::{BusinessAccess, UsersManage};

/// A running job not updated for this long is reported failed: its node stopped.
pub const IMPORT_JOB_STALE_AFTER: time::Duration = time::Duration::minutes(2);

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportJobState {
    Running,
    Succeeded,
    Failed,
}

impl ImportJobState {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportJobState::Running => "running",
            ImportJobState::Succeeded => "succeeded",
            ImportJobState::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            ImportJobState::Running,
            ImportJobState::Succeeded,
            ImportJobState::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// An asynchronous import and its progress; `rows` once it has finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportJob {
    pub id: ImportJobId,
    pub business_id: BusinessId,
    pub state: ImportJobState,
    pub dry_run: bool,
    pub format: ImportFormat,
    pub counts: ImportCounts,
    /// Why the job failed (a row's own error is in `rows`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RowError>,
    /// Every row's outcome, in file order, once the job has finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<RowOutcome>>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

/// Where jobs are kept. Not an access-model change and not audited (the rows' own changes
/// are, in their batches' transactions).
#[async_trait]
pub trait ImportJobs: Send + Sync {
    async fn insert_import_job(&self, job: &ImportJob) -> Result<()>;
    async fn update_import_job(&self, job: &ImportJob) -> Result<()>;
    async fn get_import_job(
        &self,
        business: BusinessId,
        id: ImportJobId,
    ) -> Result<Option<ImportJob>>;
}

impl Gatehouse {
    /// Starts importing `file` in the background (`users.manage`, as
    /// [`Gatehouse::import_users`]); answers at once with the job. A file that cannot be read
    /// at all is refused here, before any job exists.
    pub async fn start_import_job(
        &self,
        access: BusinessAccess<UsersManage>,
        ctx: RequestContext,
        format: ImportFormat,
        file: &[u8],
        dry_run: bool,
    ) -> Result<ImportJob> {
        let rows = parse::read_rows(format, file)?;
        let now = self.now();
        let mut job = ImportJob {
            id: ImportJobId::new(now),
            business_id: access.business_id(),
            state: ImportJobState::Running,
            dry_run,
            format,
            counts: ImportCounts {
                total: rows.len() as u64,
                ..ImportCounts::default()
            },
            error: None,
            rows: None,
            created_at: now,
            updated_at: now,
            finished_at: None,
        };
        self.store.insert_import_job(&job).await?;
        let started = job.clone();
        let gatehouse = self.clone();
        tokio::spawn(async move {
            let (send, mut seen) = tokio::sync::watch::channel(job.counts);
            let work = async {
                let send = send;
                let tell = move |c: &ImportCounts| {
                    let _ = send.send(*c);
                };
                gatehouse
                    .import_rows(&access, &ctx, &rows, dry_run, &tell)
                    .await
            };
            let mut progress = job.clone();
            let report = async {
                while seen.changed().await.is_ok() {
                    progress.counts = *seen.borrow_and_update();
                    progress.updated_at = gatehouse.now();
                    if let Err(e) = gatehouse.store.update_import_job(&progress).await {
                        tracing::warn!(job = %progress.id, error = %e, "import progress not recorded");
                    }
                }
            };
            let (result, ()) = tokio::join!(work, report);
            let now = gatehouse.now();
            match result {
                Ok(report) => {
                    job.state = ImportJobState::Succeeded;
                    job.counts = report.counts;
                    job.rows = Some(report.rows);
                }
                Err(e) => {
                    tracing::error!(job = %job.id, error = %e, "import failed");
                    job.state = ImportJobState::Failed;
                    job.counts = progress.counts;
                    // Internal causes are logged above, never shown.
                    let message = if e.code() == "internal" {
                        "an internal error stopped the import".to_owned()
                    } else {
                        e.to_string()
                    };
                    job.error = Some(RowError::new("import_failed", message));
                }
            }
            job.updated_at = now;
            job.finished_at = Some(now);
            if let Err(e) = gatehouse.store.update_import_job(&job).await {
                tracing::error!(job = %job.id, error = %e, "import result not recorded");
            }
        });
        Ok(started)
    }

    /// A job of the business and its progress (`users.manage`). A job whose node stopped
    /// updating it is reported failed.
    pub async fn import_job(
        &self,
        access: &BusinessAccess<UsersManage>,
        id: ImportJobId,
    ) -> Result<ImportJob> {
        let mut job = self
            .store
            .get_import_job(access.business_id(), id)
            .await?
            .ok_or(Error::ImportJobNotFound)?;
        if job.state == ImportJobState::Running
            && job.updated_at + IMPORT_JOB_STALE_AFTER < self.now()
        {
            job.state = ImportJobState::Failed;
            job.error = Some(RowError::new(
                "import_interrupted",
                "the import stopped before it finished (its server stopped); rows of the \
                 batches written before are kept: run the file again to finish",
            ));
        }
        Ok(job)
    }
}
