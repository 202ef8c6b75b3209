//! The `gatehouse` binary: configuration, logging, and the command line that runs the
//! service (`serve`) or administers the database directly as the operator.

#![forbid(unsafe_code)]

mod auth_config;
mod cli;
mod commands;
mod config;
mod console;
mod fd_limit;
mod oidc_config;
mod operator;
mod output;
mod secret;
mod server_config;
mod telemetry;
mod webhooks_config;

use std::process::ExitCode;

use clap::Parser;
use serde_json::json;

use crate::cli::Cli;
use crate::config::Config;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.global.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            report(&err, json);
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.global.config.as_deref(), &cli.overrides())?;
    telemetry::init(&config.log)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(commands::run(cli, config))
}

/// Prints a failure on standard error; with `--json`, in the API's error shape.
fn report(err: &anyhow::Error, json: bool) {
    let domain = err.downcast_ref::<gatehouse_domain::Error>();
    if json {
        let (code, details) = domain.map_or(("error", json!({})), |e| (e.code(), e.details()));
        let body =
            json!({ "error": { "code": code, "message": format!("{err:#}"), "details": details } });
        eprintln!("{body}");
    } else {
        match domain {
            Some(e) => eprintln!("error: {err:#} ({})", e.code()),
            None => eprintln!("error: {err:#}"),
        }
    }
}
