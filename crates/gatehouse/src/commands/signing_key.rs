//! `gatehouse signing-key`: list and rotate the OpenID Connect signing keys.

use clap::Subcommand;
use gatehouse_domain::oidc::SigningKeyInfo;

use crate::console::Console;
use crate::output::{maybe_when, table, when};

#[derive(Debug, Subcommand)]
pub enum SigningKeyCommand {
    /// List the keys: one active and one next per algorithm, and retired ones until removed.
    List,
    /// Rotate: each algorithm's next key starts signing, the active one retires (it still
    /// verifies until its tokens have expired) and a new next key is published. Running
    /// servers pick it up within `oidc.key_refresh_seconds`.
    Rotate {
        /// Rotate even though the next key was published less than
        /// `oidc.jwks_max_age_seconds` ago (clients that cached the JWKS before may refuse
        /// new tokens until they fetch it again). For a compromised key.
        #[arg(long)]
        force: bool,
    },
}

pub async fn run(cmd: SigningKeyCommand, c: &Console) -> anyhow::Result<()> {
    let keys = match cmd {
        SigningKeyCommand::List => c.gatehouse.list_signing_keys(&c.op).await?,
        SigningKeyCommand::Rotate { force } => {
            let keys = c
                .gatehouse
                .rotate_signing_keys(&c.op, &c.ctx, force)
                .await?;
            eprintln!(
                "Rotated. Running servers sign with the new keys within {} s.",
                c.gatehouse.oidc_config().refresh_interval.as_secs()
            );
            keys
        }
    };
    c.out.show(keys.as_slice(), keys_table)
}

fn keys_table(items: &[SigningKeyInfo]) -> comfy_table::Table {
    let mut t = table(&[
        "KID",
        "ALG",
        "STATE",
        "CREATED",
        "ACTIVATED",
        "RETIRED",
        "REMOVED AT",
    ]);
    for k in items {
        t.add_row([
            k.kid.clone(),
            k.alg.to_string(),
            k.state.as_str().to_owned(),
            when(k.created_at),
            maybe_when(k.activated_at),
            maybe_when(k.retired_at),
            maybe_when(k.removable_at),
        ]);
    }
    t
}
