//! `gatehouse api-key`: create, list and revoke a business's API keys. The operator may give
//! a key any permission of the catalog.

use clap::Subcommand;
use gatehouse_domain::ids::ApiKeyId;
use gatehouse_domain::model::ApiKey;
use gatehouse_domain::principal::ApiKeysManage;
use gatehouse_domain::services::NewApiKey;
use gatehouse_domain::types::ApiKeyName;
use serde::Serialize;
use time::OffsetDateTime;

use super::{grants_summary, parse_grants};
use crate::console::Console;
use crate::output::{maybe_when, table, when};

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key. Its token is printed once and never again.
    Create {
        /// The business, by slug or id.
        #[arg(long, value_name = "SLUG_OR_ID")]
        business: String,
        /// A label for the key.
        #[arg(long)]
        name: String,
        /// Days until the key expires [default: never].
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=3650))]
        expires_in_days: Option<u32>,
        /// Permissions as JSON: {"business":[…],"live":[…],"sandbox":[…]}.
        #[arg(
            long,
            value_name = "JSON",
            required_unless_present = "all",
            conflicts_with = "all"
        )]
        permissions: Option<String>,
        /// Every permission of the catalog, in both environments (sensitive ones included:
        /// choosing --all acknowledges them).
        #[arg(long)]
        all: bool,
        /// Confirm granting sensitive permissions (e.g. `users.manage`, `developer_area`).
        #[arg(long)]
        acknowledge_sensitive: bool,
    },
    /// List the API keys of a business.
    List {
        /// The business, by slug or id.
        #[arg(long, value_name = "SLUG_OR_ID")]
        business: String,
    },
    /// Revoke an API key; it stops working at once.
    Revoke {
        /// The business, by slug or id.
        #[arg(long, value_name = "SLUG_OR_ID")]
        business: String,
        /// The key's id.
        id: ApiKeyId,
    },
}

/// A new key with its token, as printed by `--json` (the shape the HTTP API answers).
#[derive(Debug, Serialize)]
struct CreatedKey<'a> {
    #[serde(flatten)]
    api_key: &'a ApiKey,
    /// Shown once; only its hash is stored.
    token: &'a str,
}

pub async fn run(cmd: ApiKeyCommand, c: &Console) -> anyhow::Result<()> {
    match cmd {
        ApiKeyCommand::Create {
            business,
            name,
            expires_in_days,
            permissions,
            all,
            acknowledge_sensitive,
        } => {
            let name = ApiKeyName::parse(&name)?;
            let grants = match permissions {
                Some(json) if !all => parse_grants(&json)?,
                _ => c.gatehouse.catalog().everything(),
            };
            let expires_at =
                expires_in_days.map(|d| c.gatehouse.now() + time::Duration::days(i64::from(d)));
            let business = c.business(&business).await?;
            let access = c.op.in_business::<ApiKeysManage>(business.id);
            let new = NewApiKey {
                name,
                expires_at,
                grants,
                acknowledge_sensitive: acknowledge_sensitive || all,
            };
            let (key, token) = c.gatehouse.create_api_key(&access, &c.ctx, new).await?;
            let now = c.gatehouse.now();
            c.out.show(
                &CreatedKey {
                    api_key: &key,
                    token: &token,
                },
                |k| keys_table(std::slice::from_ref(k.api_key), now),
            )?;
            if !c.out.is_json() {
                c.out.line(&format!("\ntoken: {token}"))?;
                eprintln!(
                    "The token is shown only now; store it safely. Send it as `Authorization: Bearer <token>`."
                );
            }
            Ok(())
        }
        ApiKeyCommand::List { business } => {
            let business = c.business(&business).await?;
            let keys = c
                .gatehouse
                .list_api_keys(&c.op.in_business::<ApiKeysManage>(business.id))
                .await?;
            let now = c.gatehouse.now();
            c.out.show(keys.as_slice(), |all| keys_table(all, now))
        }
        ApiKeyCommand::Revoke { business, id } => {
            let business = c.business(&business).await?;
            let key = c
                .gatehouse
                .revoke_api_key(&c.op.in_business::<ApiKeysManage>(business.id), &c.ctx, id)
                .await?;
            let now = c.gatehouse.now();
            c.out
                .show(&key, |k| keys_table(std::slice::from_ref(k), now))
        }
    }
}

fn status(key: &ApiKey, now: OffsetDateTime) -> &'static str {
    if key.revoked_at.is_some() {
        "revoked"
    } else if !key.is_usable_at(now) {
        "expired"
    } else {
        "active"
    }
}

fn keys_table(items: &[ApiKey], now: OffsetDateTime) -> comfy_table::Table {
    let mut t = table(&[
        "ID",
        "NAME",
        "STATUS",
        "PERMISSIONS",
        "CREATED",
        "EXPIRES",
        "LAST USED",
    ]);
    for k in items {
        t.add_row([
            k.id.to_string(),
            k.name.to_string(),
            status(k, now).to_owned(),
            grants_summary(&k.grants),
            when(k.created_at),
            maybe_when(k.expires_at),
            maybe_when(k.last_used_at),
        ]);
    }
    t
}
