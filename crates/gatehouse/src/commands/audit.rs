//! `gatehouse audit`: the business's audit hash chain — its head, publishing it, verifying
//! the chain in the database or in an export file, and exporting it for offline checks.

use std::io::{BufReader, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::audit_chain::{ChainHead, ChainReport, verify_export};
use gatehouse_domain::principal::AuditView;

use crate::console::Console;
use crate::output::{Output, table};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify a business's audit chain (in the database) or an export file; prints the first
    /// broken link and exits non-zero when there is one.
    Verify(VerifyArgs),
    /// Print the business's chain head (SEQ:HASH); keep it somewhere the database's
    /// administrators cannot write, and give it back to `verify --head`.
    Head {
        /// The business, by slug or id.
        #[arg(long)]
        business: String,
        /// Also record the head as the audit event `audit.head_published`, which webhooks
        /// subscribed to audit events deliver.
        #[arg(long)]
        publish: bool,
    },
    /// Write the business's whole chain as JSON Lines, oldest first, to standard output.
    Export {
        /// The business, by slug or id.
        #[arg(long)]
        business: String,
    },
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["business", "file"])))]
pub struct VerifyArgs {
    /// The business, by slug or id: verifies its chain in the database.
    #[arg(long)]
    pub business: Option<String>,
    /// An export (JSON Lines, one event a line, as `audit export` or the dashboard writes
    /// it): verified offline, no database needed.
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
    /// A head published earlier, SEQ:HASH, the chain must still pass through.
    #[arg(long, value_name = "SEQ:HASH")]
    pub head: Option<String>,
}

/// How many events an export reads at a time.
const EXPORT_BATCH: u32 = 5_000;

/// `audit verify --file`: needs no database.
pub fn verify_file(path: &PathBuf, head: Option<&str>, out: Output) -> anyhow::Result<()> {
    let published = head.map(ChainHead::parse).transpose()?;
    let file = std::fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
    let report = verify_export(BufReader::with_capacity(1 << 16, file), published)?;
    show_report(&report, out)
}

pub async fn run(cmd: AuditCommand, c: &Console) -> anyhow::Result<()> {
    match cmd {
        AuditCommand::Verify(args) => {
            let Some(business) = args.business else {
                anyhow::bail!("--business or --file is required");
            };
            let published = args.head.as_deref().map(ChainHead::parse).transpose()?;
            let business = c.business(&business).await?;
            let access = c.op.in_business::<AuditView>(business.id);
            let report = c.gatehouse.verify_audit_chain(&access, published).await?;
            show_report(&report, c.out)
        }
        AuditCommand::Head { business, publish } => {
            let business = c.business(&business).await?;
            let access = c.op.in_business::<AuditView>(business.id);
            let head = if publish {
                c.gatehouse
                    .publish_audit_chain_head(&access, &c.ctx)
                    .await?
            } else {
                c.gatehouse.audit_chain_head(&access).await?
            };
            if c.out.is_json() {
                c.out.show(&head, |_| table(&[]))
            } else {
                c.out.line(&head.to_string())
            }
        }
        AuditCommand::Export { business } => {
            let business = c.business(&business).await?;
            let access = c.op.in_business::<AuditView>(business.id);
            let mut stdout = std::io::stdout().lock();
            let mut last: Option<AuditEvent> = None;
            loop {
                let batch = c
                    .gatehouse
                    .list_audit_chain(&access, last.as_ref(), EXPORT_BATCH)
                    .await?;
                for e in &batch {
                    writeln!(stdout, "{}", serde_json::to_string(e)?)?;
                }
                let full = batch.len() == EXPORT_BATCH as usize;
                last = batch.into_iter().last();
                if !full || last.is_none() {
                    break;
                }
            }
            stdout.flush()?;
            Ok(())
        }
    }
}

fn show_report(report: &ChainReport, out: Output) -> anyhow::Result<()> {
    out.show(report, |r| {
        let mut t = table(&["INTACT", "EVENTS", "HEAD", "FIRST BROKEN LINK"]);
        let broken = r.first_break.as_ref().map_or_else(
            || "-".to_owned(),
            |b| match b.line {
                Some(line) => format!("seq {} (line {line}): {:?}: {}", b.seq, b.problem, b.detail),
                None => format!("seq {}: {:?}: {}", b.seq, b.problem, b.detail),
            },
        );
        t.add_row([
            r.intact.to_string(),
            r.events.to_string(),
            r.head.to_string(),
            broken,
        ]);
        t
    })?;
    match &report.first_break {
        Some(b) => anyhow::bail!("the audit chain is broken at seq {}", b.seq),
        None => Ok(()),
    }
}
