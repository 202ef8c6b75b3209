//! Bulk import of users from a CSV or JSON Lines file: one service behind the dashboard, the
//! CLI and the API's jobs. Rows are planned and written in batches; each batch is one
//! transaction holding only rows already checked, so a refused row changes nothing and a
//! written row is written whole, with its audit event. Running the same file again plans
//! every row as a skip. A dry run plans exactly as the real run does and writes nothing.
//!
//! A big import must not starve sign-ins: batches are bounded, one batch at a time writes on
//! a node (a semaphore apart from the request path), and the import yields between batches.

mod apply;
mod jobs;
mod parse;
mod plan;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

pub use jobs::{IMPORT_JOB_STALE_AFTER, ImportJob, ImportJobState, ImportJobs};
pub use parse::{GROUP_SEPARATOR, ImportFormat, MAX_IMPORT_ROWS, RowError};
pub use plan::{RowAction, RowOutcome};

use crate::Gatehouse;
use crate::audit::RequestContext;
use crate::error::{Error, Result};
use crate::model::Group;
use crate::principal::{BusinessAccess, UsersManage};
use crate::services::Audit;
use parse::FileRow;
use plan::{Known, Planned};

/// Rows per batch (one transaction each): small enough that a batch holds SQLite's writer
/// for tens of milliseconds, not seconds.
pub const IMPORT_BATCH_ROWS: usize = 500;

/// Planner statistics are refreshed every this many batches of a real import.
const STATISTICS_EVERY: usize = 20;

/// What an import did (or, for a dry run, would do), row by row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    pub counts: ImportCounts,
    /// Every row, in file order.
    pub rows: Vec<RowOutcome>,
}

/// How many rows of each kind, and how many are done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportCounts {
    /// Rows in the file.
    pub total: u64,
    /// Rows planned (and, unless a dry run, written) so far.
    pub processed: u64,
    pub created: u64,
    pub updated: u64,
    pub skipped: u64,
    pub errors: u64,
}

impl ImportCounts {
    fn add(&mut self, outcome: &RowOutcome) {
        self.processed += 1;
        match outcome.action {
            RowAction::Create => self.created += 1,
            RowAction::Update => self.updated += 1,
            RowAction::Skip => self.skipped += 1,
            RowAction::Error => self.errors += 1,
        }
    }
}

/// Told after each batch: the counts so far.
pub type ImportProgress<'a> = &'a (dyn Fn(&ImportCounts) + Send + Sync);

impl Gatehouse {
    /// Imports the users of `file` into the business (`users.manage`; adding someone to a
    /// group needs its rights too, as in the dashboard), or with `dry_run` reports what it
    /// would do without writing. A file that cannot be read at all is an error; a bad row is
    /// an error row of the report, with its line.
    pub async fn import_users(
        &self,
        access: &BusinessAccess<UsersManage>,
        ctx: &RequestContext,
        format: ImportFormat,
        file: &[u8],
        dry_run: bool,
        progress: ImportProgress<'_>,
    ) -> Result<ImportReport> {
        let rows = parse::read_rows(format, file)?;
        self.import_rows(access, ctx, &rows, dry_run, progress)
            .await
    }

    async fn import_rows(
        &self,
        access: &BusinessAccess<UsersManage>,
        ctx: &RequestContext,
        rows: &[FileRow],
        dry_run: bool,
        progress: ImportProgress<'_>,
    ) -> Result<ImportReport> {
        let business = self
            .store
            .get_business(access.business_id())
            .await?
            .ok_or(Error::BusinessNotFound)?;
        let groups: HashMap<String, Group> = self
            .store
            .list_groups(business.id)
            .await?
            .into_iter()
            .map(|g| (g.name.key(), g))
            .collect();
        let mut report = ImportReport {
            dry_run,
            counts: ImportCounts {
                total: rows.len() as u64,
                ..ImportCounts::default()
            },
            rows: Vec::with_capacity(rows.len()),
        };
        let mut seen = HashMap::new();
        for (n, batch) in rows.chunks(IMPORT_BATCH_ROWS).enumerate() {
            if !dry_run && n > 0 && n % STATISTICS_EVERY == 0 {
                // The batches' lookups stay index reads while the tables grow fast.
                if let Err(e) = self.store.refresh_statistics().await {
                    tracing::warn!(error = %e, "planner statistics not refreshed");
                }
            }
            let emails = plan::emails_of(batch);
            let planned: Vec<Planned> = {
                // One batch writes at a time on this node, whatever the number of imports.
                let _turn = self.imports.acquire().await;
                if dry_run {
                    let users = self.store.get_users_by_email(business.id, &emails).await?;
                    let known = known(&groups, users);
                    plan::plan_rows(access, batch, &known, &mut seen)
                } else {
                    let mut tx = self.store.begin().await?;
                    let users = tx.get_users_by_email(business.id, &emails).await?;
                    let known = known(&groups, users);
                    let planned = plan::plan_rows(access, batch, &known, &mut seen);
                    let audit = Audit::new(self.now(), Some(business.id), access.actor(), ctx);
                    let events = self
                        .apply_planned(tx.as_mut(), &business, &planned, &audit)
                        .await?;
                    if !events.is_empty() {
                        self.commit(tx, events).await?;
                    }
                    planned
                }
            };
            for p in planned {
                report.counts.add(&p.outcome);
                report.rows.push(p.outcome);
            }
            progress(&report.counts);
            // Let sign-ins and other requests waiting for the database go first.
            tokio::task::yield_now().await;
        }
        if !dry_run && rows.len() > IMPORT_BATCH_ROWS * STATISTICS_EVERY {
            // A large import changes the tables' shape: the listings that follow are planned
            // on what is there now, not on what was there before it.
            if let Err(e) = self.store.refresh_statistics().await {
                tracing::warn!(error = %e, "planner statistics not refreshed");
            }
        }
        Ok(report)
    }
}

fn known(groups: &HashMap<String, Group>, users: Vec<crate::model::User>) -> Known<'_> {
    Known {
        groups,
        users: users.into_iter().map(|u| (u.email.clone(), u)).collect(),
    }
}
