//! The command line: global options and one subcommand per resource. Commands other than
//! `serve` act on the database directly, as the operator.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands::{
    api_key::ApiKeyCommand, application::ApplicationCommand, audit::AuditCommand,
    business::BusinessCommand, group::GroupCommand, signing_key::SigningKeyCommand,
    tenant::TenantCommand, user::UserCommand, webhook::WebhookCommand,
};
use crate::config::{LogFormat, Overrides};

/// Gatehouse: self-hostable user & access management for multi-tenant SaaS dashboards.
///
/// Configuration is layered: defaults, then the TOML file given with --config, then
/// environment variables GATEHOUSE__SECTION__KEY (e.g. GATEHOUSE__SERVER__LISTEN), then flags.
#[derive(Debug, Parser)]
#[command(name = "gatehouse", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// TOML configuration file.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Log line format, on standard error.
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// Print results as JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// Data directory: the embedded database and the operator token's hash [default: ./data].
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL, `sqlite://PATH` or `postgres://…` [default: SQLite in the data directory].
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (migrates the database first).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Businesses: customer organisations, the isolation boundary.
    #[command(subcommand)]
    Business(BusinessCommand),
    /// Tenants: parts of a business.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// API keys: machine credentials of a business.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Applications: the OpenID Connect clients of a business.
    #[command(subcommand)]
    Application(ApplicationCommand),
    /// Users of a business.
    #[command(subcommand)]
    User(UserCommand),
    /// Groups of a business: who gets which permissions where.
    #[command(subcommand)]
    Group(GroupCommand),
    /// The tamper-evident audit trail: verify a business's hash chain (or an export), print
    /// or publish its head, export it.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Webhooks: a business's endpoints, their secrets and delivery logs.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// OpenID Connect signing keys: list them, rotate them.
    #[command(subcommand, name = "signing-key")]
    SigningKey(SigningKeyCommand),
    /// The operator token (the credential for the operator API).
    #[command(subcommand, name = "operator-token")]
    OperatorToken(OperatorTokenCommand),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, HOST:PORT (port 0 picks a free one) [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum OperatorTokenCommand {
    /// Make a new operator token, replacing the stored one. Prints it once; restart
    /// `serve` for it to take effect.
    Rotate,
}

impl Cli {
    /// The flags that override configuration.
    pub fn overrides(&self) -> Overrides {
        let listen = match &self.command {
            Command::Serve(args) => args.listen.clone(),
            _ => None,
        };
        Overrides {
            listen,
            data_dir: self.global.data_dir.clone(),
            database_url: self.global.database_url.clone(),
            log_format: self.global.log_format,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_flags_become_overrides() {
        let cli = Cli::try_parse_from([
            "gatehouse",
            "serve",
            "--listen",
            "0.0.0.0:9000",
            "--data-dir",
            "/srv/gh",
            "--log-format",
            "json",
        ])
        .unwrap();
        let o = cli.overrides();
        assert_eq!(o.listen.as_deref(), Some("0.0.0.0:9000"));
        assert_eq!(o.data_dir, Some(PathBuf::from("/srv/gh")));
        assert_eq!(o.log_format, Some(LogFormat::Json));
    }
}
