//! `gatehouse user import FILE`: bulk import of a business's users from CSV or JSON Lines,
//! with a progress bar on a terminal, and the report of every row that is not a skip.

use std::path::Path;

use anyhow::Context;
use gatehouse_domain::principal::UsersManage;
use gatehouse_domain::services::{ImportCounts, ImportFormat, ImportReport, RowAction};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::console::Console;
use crate::output::table;

/// Imports (or with `dry_run` plans) `file` into `business`; fails when any row is refused,
/// after printing the report.
pub async fn run(
    c: &Console,
    file: &Path,
    business: &str,
    format: Option<&str>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let format = match format {
        Some(f) => ImportFormat::parse(f).context("--format must be csv or jsonl")?,
        None => ImportFormat::of_file_name(&file.to_string_lossy()),
    };
    let bytes = tokio::fs::read(file)
        .await
        .with_context(|| format!("cannot read {}", file.display()))?;
    let business = c.business(business).await?;
    let access = c.op.in_business::<UsersManage>(business.id);
    // Drawn on standard error, only when it is a terminal (hidden in scripts and tests).
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let tell = |counts: &ImportCounts| {
        bar.set_length(counts.total);
        bar.set_position(counts.processed);
        bar.set_message(summary(counts));
    };
    let report = c
        .gatehouse
        .import_users(&access, &c.ctx, format, &bytes, dry_run, &tell)
        .await;
    bar.finish_and_clear();
    let report = report?;
    c.out.show(&report, rows_table)?;
    let what = if dry_run { "dry run: would be " } else { "" };
    eprintln!("{what}{}", summary(&report.counts));
    if report.counts.errors > 0 {
        anyhow::bail!(
            "{} row(s) refused (nothing of them was applied); see the report",
            report.counts.errors
        );
    }
    Ok(())
}

fn summary(c: &ImportCounts) -> String {
    format!(
        "created {}, updated {}, skipped {}, refused {}",
        c.created, c.updated, c.skipped, c.errors
    )
}

fn rows_table(report: &ImportReport) -> comfy_table::Table {
    let mut t = table(&["LINE", "EMAIL", "ACTION", "NAME", "GROUPS ADDED", "ERROR"]);
    for r in report.rows.iter().filter(|r| r.action != RowAction::Skip) {
        let action = match r.action {
            RowAction::Create => "create",
            RowAction::Update => "update",
            RowAction::Skip => "skip",
            RowAction::Error => "error",
        };
        let error = r
            .error
            .as_ref()
            .map(|e| format!("{}: {}", e.code, e.message))
            .unwrap_or_default();
        t.add_row([
            r.line.to_string(),
            r.email.clone().unwrap_or_default(),
            action.to_owned(),
            r.name.clone().unwrap_or_default(),
            r.groups_added.join("; "),
            error,
        ]);
    }
    t
}
