//! `gatehouse group`: list a business's groups and create new ones.

use clap::{Subcommand, ValueEnum};
use gatehouse_domain::model::{GroupKind, GroupView};
use gatehouse_domain::principal::{GroupsManage, UsersView};
use gatehouse_domain::services::NewGroup;
use gatehouse_domain::types::{Description, GroupName};

use super::{grants_summary, parse_grants};
use crate::console::Console;
use crate::output::{table, when};

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// List the groups of a business with their member counts.
    List {
        /// The business, by slug or id.
        #[arg(long, value_name = "SLUG_OR_ID")]
        business: String,
    },
    /// Create a group.
    Create {
        /// The business, by slug or id.
        #[arg(long, value_name = "SLUG_OR_ID")]
        business: String,
        /// 1–100 characters, unique in the business (ignoring case).
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        /// `business`: every tenant, including later ones; `tenants`: the --tenant list.
        #[arg(long = "type", value_enum, value_name = "TYPE")]
        kind: GroupType,
        /// A tenant the group covers (id or slug); repeat for several. Only for `--type tenants`.
        #[arg(long = "tenant", value_name = "ID_OR_SLUG")]
        tenants: Vec<String>,
        /// Permissions as JSON: {"business":[…],"live":[…],"sandbox":[…]}; business-scope
        /// permissions only on business groups.
        #[arg(long, value_name = "JSON", default_value = "{}")]
        permissions: String,
        /// Confirm granting sensitive permissions (e.g. `verification.export`, `users.manage`).
        #[arg(long)]
        acknowledge_sensitive: bool,
    },
}

/// The type of a group, as the command line spells it.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GroupType {
    Business,
    Tenants,
}

impl From<GroupType> for GroupKind {
    fn from(t: GroupType) -> Self {
        match t {
            GroupType::Business => GroupKind::Business,
            GroupType::Tenants => GroupKind::Tenants,
        }
    }
}

pub async fn run(cmd: GroupCommand, c: &Console) -> anyhow::Result<()> {
    match cmd {
        GroupCommand::List { business } => {
            let business = c.business(&business).await?;
            let groups = c
                .gatehouse
                .list_groups(&c.op.in_business::<UsersView>(business.id))
                .await?;
            let views: Vec<GroupView> = groups.into_iter().map(GroupView::from).collect();
            c.out.show(views.as_slice(), groups_table)
        }
        GroupCommand::Create {
            business,
            name,
            description,
            kind,
            tenants,
            permissions,
            acknowledge_sensitive,
        } => {
            let name = GroupName::parse(&name)?;
            let description = Description::parse(&description)?;
            let grants = parse_grants(&permissions)?;
            let business = c.business(&business).await?;
            let mut tenant_ids = Vec::with_capacity(tenants.len());
            for t in &tenants {
                tenant_ids.push(c.tenant(business.id, t).await?);
            }
            let access = c.op.in_business::<GroupsManage>(business.id);
            let new = NewGroup {
                name,
                description,
                kind: kind.into(),
                tenants: tenant_ids,
                grants,
                acknowledge_sensitive,
            };
            let group = GroupView::from(c.gatehouse.create_group(&access, &c.ctx, new).await?);
            c.out
                .show(&group, |g| groups_table(std::slice::from_ref(g)))
        }
    }
}

fn groups_table(items: &[GroupView]) -> comfy_table::Table {
    let mut t = table(&[
        "ID",
        "NAME",
        "TYPE",
        "TENANTS",
        "PERMISSIONS",
        "MEMBERS",
        "CREATED",
    ]);
    for g in items {
        let tenants = match g.kind {
            GroupKind::Business => "all".to_owned(),
            GroupKind::Tenants => g.tenant_ids.len().to_string(),
        };
        t.add_row([
            g.id.to_string(),
            g.name.to_string(),
            g.kind.as_str().to_owned(),
            tenants,
            grants_summary(&g.permissions),
            g.member_count.to_string(),
            when(g.created_at),
        ]);
    }
    t
}
