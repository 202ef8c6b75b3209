//! `gatehouse migrate`: apply pending migrations to the configured database.

use serde_json::json;

use crate::config::Config;
use crate::console::open_store;
use crate::output::Output;

pub async fn run(config: &Config, out: Output) -> anyhow::Result<()> {
    let store = open_store(config, false).await?;
    let migrated = gatehouse_store::migrate(&store).await;
    store.close().await;
    migrated?;
    let url = config.database_url();
    if out.is_json() {
        out.line(&json!({ "database": url.redacted(), "migrated": true }).to_string())
    } else {
        out.line(&format!("database {url} is up to date"))
    }
}
