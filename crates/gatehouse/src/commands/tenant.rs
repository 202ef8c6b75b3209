//! `gatehouse tenant`: create and list the tenants of a business.

use clap::Subcommand;
use gatehouse_domain::model::Tenant;
use gatehouse_domain::types::{Slug, TenantName};

use crate::console::Console;
use crate::output::{table, when};

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant in a business.
    Create {
        /// The business, by slug or id.
        #[arg(long, value_name = "SLUG_OR_ID")]
        business: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// URL-safe identifier, unique within the business.
        #[arg(long)]
        slug: String,
    },
    /// List the tenants of a business.
    List {
        /// The business, by slug or id.
        #[arg(long, value_name = "SLUG_OR_ID")]
        business: String,
    },
}

pub async fn run(cmd: TenantCommand, c: &Console) -> anyhow::Result<()> {
    match cmd {
        TenantCommand::Create {
            business,
            name,
            slug,
        } => {
            let (name, slug) = (TenantName::parse(&name)?, Slug::parse(&slug)?);
            let business = c.business(&business).await?;
            let tenant = c
                .gatehouse
                .create_tenant(&c.op, &c.ctx, business.id, name, slug)
                .await?;
            c.out
                .show(&tenant, |t| tenants_table(std::slice::from_ref(t)))
        }
        TenantCommand::List { business } => {
            let business = c.business(&business).await?;
            let tenants = c
                .gatehouse
                .list_business_tenants(&c.op, business.id)
                .await?;
            c.out.show(tenants.as_slice(), tenants_table)
        }
    }
}

fn tenants_table(items: &[Tenant]) -> comfy_table::Table {
    let mut t = table(&["ID", "SLUG", "NAME", "CREATED"]);
    for tenant in items {
        t.add_row([
            tenant.id.to_string(),
            tenant.slug.to_string(),
            tenant.name.to_string(),
            when(tenant.created_at),
        ]);
    }
    t
}
