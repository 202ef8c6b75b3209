//! `gatehouse user`: list a business's users and invite new ones (as `pending`, mailed a
//! single-use invitation link: over SMTP, or into the outbox folder when none is set).

use clap::Subcommand;
use gatehouse_domain::model::{User, UserStatus};
use gatehouse_domain::page::{MAX_PAGE_SIZE, page_size};
use gatehouse_domain::principal::{UsersManage, UsersView};
use gatehouse_domain::services::NewUser;
use gatehouse_domain::store::UserFilter;
use gatehouse_domain::types::{DisplayName, Email};

use crate::console::Console;
use crate::output::{table, when};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// List users, ordered by email, one page at a time.
    List {
        /// The business, by slug or id.
        #[arg(long, value_name = "SLUG_OR_ID")]
        business: String,
        /// Only users in this status.
        #[arg(long, value_parser = ["pending", "active", "locked", "deactivated"])]
        status: Option<String>,
        /// Email or display-name prefix, ignoring case.
        #[arg(long, value_name = "TEXT")]
        query: Option<String>,
        /// Only members of this group (id or name).
        #[arg(long, value_name = "ID_OR_NAME")]
        group: Option<String>,
        /// Only users with any access in this tenant (id or slug).
        #[arg(long, value_name = "ID_OR_SLUG")]
        tenant: Option<String>,
        /// Users per page.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_PAGE_SIZE)))]
        limit: u32,
        /// Continue after a previous page (its `next_cursor`).
        #[arg(long)]
        cursor: Option<String>,
    },
    /// Invite a user: creates them as `pending` and mails them the invitation link.
    Invite {
        /// The business, by slug or id.
        #[arg(long, value_name = "SLUG_OR_ID")]
        business: String,
        /// Email address, unique in the business (ignoring case).
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// A group to add the user to (id or name); repeat for several.
        #[arg(long = "group", value_name = "ID_OR_NAME")]
        groups: Vec<String>,
    },
    /// Import users from a CSV file (header row `email,name,groups`; groups by name,
    /// separated by `;`) or JSON Lines (`{"email":…,"name":…,"groups":[…]}`). New emails are
    /// invited, existing users get the row's name and groups (never removed), unchanged rows
    /// are skipped; refused rows are reported with their line and change nothing.
    Import {
        /// The file; `.jsonl`/`.ndjson` is read as JSON Lines, anything else as CSV.
        file: std::path::PathBuf,
        /// The business, by slug or id.
        #[arg(long, value_name = "SLUG_OR_ID")]
        business: String,
        /// `csv` or `jsonl`, whatever the file's name.
        #[arg(long, value_parser = ["csv", "jsonl"])]
        format: Option<String>,
        /// Report what each row would do; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub async fn run(cmd: UserCommand, c: &Console) -> anyhow::Result<()> {
    match cmd {
        UserCommand::List {
            business,
            status,
            query,
            group,
            tenant,
            limit,
            cursor,
        } => {
            let business = c.business(&business).await?;
            let filter = UserFilter {
                status: status.as_deref().and_then(UserStatus::parse),
                group: match group {
                    Some(g) => Some(c.group(business.id, &g).await?),
                    None => None,
                },
                tenant: match tenant {
                    Some(t) => Some(c.tenant(business.id, &t).await?),
                    None => None,
                },
                query,
                ..UserFilter::default()
            };
            let access = c.op.in_business::<UsersView>(business.id);
            let page = c
                .gatehouse
                .list_users(&access, &filter, cursor.as_deref(), page_size(Some(limit))?)
                .await?;
            c.out.show(&page, |p| users_table(&p.items))?;
            if !c.out.is_json() {
                let about = if page.total_estimated { "about " } else { "" };
                let total = page
                    .total
                    .map_or_else(String::new, |t| format!(" of {about}{t}"));
                eprintln!("{} user(s){total}", page.items.len());
                if let Some(next) = &page.next_cursor {
                    eprintln!("more: --cursor {next}");
                }
            }
            Ok(())
        }
        UserCommand::Invite {
            business,
            email,
            name,
            groups,
        } => {
            let email = Email::parse(&email)?;
            let display_name = DisplayName::parse(name.as_deref().unwrap_or(""))?;
            let business = c.business(&business).await?;
            let mut ids = Vec::with_capacity(groups.len());
            for g in &groups {
                ids.push(c.group(business.id, g).await?);
            }
            let access = c.op.in_business::<UsersManage>(business.id);
            let user = c
                .gatehouse
                .create_user(
                    &access,
                    &c.ctx,
                    NewUser {
                        email,
                        display_name,
                        groups: ids,
                    },
                )
                .await?;
            c.out.show(&user, |u| users_table(std::slice::from_ref(u)))
        }
        UserCommand::Import {
            file,
            business,
            format,
            dry_run,
        } => super::import::run(c, &file, &business, format.as_deref(), dry_run).await,
    }
}

fn users_table(items: &[User]) -> comfy_table::Table {
    let mut t = table(&["ID", "EMAIL", "NAME", "STATUS", "GROUPS", "CREATED"]);
    for u in items {
        let groups: Vec<&str> = u.groups.iter().map(|g| g.name.as_str()).collect();
        t.add_row([
            u.id.to_string(),
            u.email.to_string(),
            u.display_name.to_string(),
            u.status.as_str().to_owned(),
            groups.join(", "),
            when(u.created_at),
        ]);
    }
    t
}
