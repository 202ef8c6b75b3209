//! One module per command group. Each parses its flags into domain types, calls the service
//! as the operator and prints the result.

pub mod api_key;
pub mod application;
pub mod audit;
pub mod business;
pub mod group;
mod import;
mod migrate;
mod operator_token;
mod serve;
pub mod signing_key;
pub mod tenant;
pub mod user;
pub mod webhook;

use gatehouse_domain::grants::Grants;

use crate::cli::{Cli, Command};
use crate::config::Config;
use crate::console::Console;
use crate::output::Output;

/// Runs the parsed command line with the loaded configuration.
pub async fn run(cli: Cli, config: Config) -> anyhow::Result<()> {
    let out = Output::new(cli.global.json);
    match cli.command {
        Command::Serve(_) => serve::run(&config).await,
        Command::Migrate => migrate::run(&config, out).await,
        Command::OperatorToken(cmd) => operator_token::run(cmd, &config, out),
        Command::Business(cmd) => {
            with_console(&config, out, async |c| business::run(cmd, c).await).await
        }
        Command::Tenant(cmd) => {
            with_console(&config, out, async |c| tenant::run(cmd, c).await).await
        }
        Command::ApiKey(cmd) => {
            with_console(&config, out, async |c| api_key::run(cmd, c).await).await
        }
        Command::Application(cmd) => {
            with_console(&config, out, async |c| application::run(cmd, c).await).await
        }
        Command::User(cmd) => with_console(&config, out, async |c| user::run(cmd, c).await).await,
        Command::Group(cmd) => with_console(&config, out, async |c| group::run(cmd, c).await).await,
        Command::Audit(audit::AuditCommand::Verify(audit::VerifyArgs {
            file: Some(path),
            head,
            ..
        })) => audit::verify_file(&path, head.as_deref(), out),
        Command::Audit(cmd) => with_console(&config, out, async |c| audit::run(cmd, c).await).await,
        Command::Webhook(cmd) => {
            with_console(&config, out, async |c| webhook::run(cmd, c).await).await
        }
        Command::SigningKey(cmd) => {
            with_console(&config, out, async |c| signing_key::run(cmd, c).await).await
        }
    }
}

/// Opens the database, runs `f` on it and closes it, whatever `f` returned.
async fn with_console(
    config: &Config,
    out: Output,
    f: impl AsyncFnOnce(&Console) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let console = Console::open(config, out).await?;
    let result = f(&console).await;
    console.close().await;
    result
}

/// Grants as given on the command line: `{"business":[…],"live":[…],"sandbox":[…]}`.
fn parse_grants(json: &str) -> anyhow::Result<Grants> {
    serde_json::from_str(json).map_err(|e| {
        anyhow::anyhow!("--permissions must be JSON like {{\"business\":[\"users.view\"],\"live\":[\"analytics\"],\"sandbox\":[]}}: {e}")
    })
}

/// A short count of what grants hold, for tables.
fn grants_summary(grants: &Grants) -> String {
    if grants.is_empty() {
        return "none".to_owned();
    }
    format!(
        "{} business, {} live, {} sandbox",
        grants.business.len(),
        grants.live.len(),
        grants.sandbox.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_parse_from_json() {
        let g = parse_grants(r#"{"business":["users.view"],"live":["analytics"]}"#).unwrap();
        assert_eq!(grants_summary(&g), "1 business, 1 live, 0 sandbox");
        assert_eq!(grants_summary(&parse_grants("{}").unwrap()), "none");
        let err = parse_grants(r#"{"production":["analytics"]}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("production"), "{err}");
    }
}
