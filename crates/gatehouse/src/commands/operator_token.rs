//! `gatehouse operator-token rotate`: replace the stored operator token with a new one.

use anyhow::bail;
use serde_json::json;

use crate::cli::OperatorTokenCommand;
use crate::config::Config;
use crate::operator;
use crate::output::Output;

pub fn run(cmd: OperatorTokenCommand, config: &Config, out: Output) -> anyhow::Result<()> {
    match cmd {
        OperatorTokenCommand::Rotate => {
            if config.operator.token.is_some() {
                bail!("operator.token is set in the configuration; change it there instead");
            }
            let (token, path) = operator::rotate(&config.data_dir)?;
            if out.is_json() {
                out.line(
                    &json!({ "token": token.expose(), "hash_file": path.display().to_string() })
                        .to_string(),
                )?;
            } else {
                out.line(token.expose())?;
            }
            eprintln!(
                "New operator token above: shown only now; its SHA-256 is in {}. The old token stops working when `gatehouse serve` restarts.",
                path.display()
            );
            Ok(())
        }
    }
}
