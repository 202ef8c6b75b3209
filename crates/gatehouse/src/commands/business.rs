//! `gatehouse business`: create and list businesses.

use clap::Subcommand;
use gatehouse_domain::model::Business;
use gatehouse_domain::types::{BusinessName, Slug};

use crate::console::Console;
use crate::output::{table, when};

#[derive(Debug, Subcommand)]
pub enum BusinessCommand {
    /// Create a business.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Unique URL-safe identifier: 2–63 of a-z, 0-9 and -, starting with a letter.
        #[arg(long)]
        slug: String,
    },
    /// List every business.
    List,
}

pub async fn run(cmd: BusinessCommand, c: &Console) -> anyhow::Result<()> {
    match cmd {
        BusinessCommand::Create { name, slug } => {
            let business = c
                .gatehouse
                .create_business(
                    &c.op,
                    &c.ctx,
                    BusinessName::parse(&name)?,
                    Slug::parse(&slug)?,
                )
                .await?;
            c.out
                .show(&business, |b| businesses_table(std::slice::from_ref(b)))
        }
        BusinessCommand::List => {
            let all = c.all_businesses().await?;
            c.out.show(all.as_slice(), businesses_table)
        }
    }
}

fn businesses_table(items: &[Business]) -> comfy_table::Table {
    let mut t = table(&["ID", "SLUG", "NAME", "CREATED"]);
    for b in items {
        t.add_row([
            b.id.to_string(),
            b.slug.to_string(),
            b.name.to_string(),
            when(b.created_at),
        ]);
    }
    t
}
