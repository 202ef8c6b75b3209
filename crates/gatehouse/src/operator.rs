//! The operator token: from configuration, or generated on first start into the data
//! directory. Only its SHA-256 is written to disk (mode 0600); the token itself is shown once
//! and never logged.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use data_encoding::{BASE64URL_NOPAD, HEXLOWER, HEXLOWER_PERMISSIVE};
use gatehouse_domain::auth::OsEntropy;
use gatehouse_domain::auth::entropy::random;
use gatehouse_web::OperatorToken;

use crate::config::Config;
use crate::secret::Secret;

/// The prefix every operator token carries (API keys carry `gth_`).
pub const TOKEN_PREFIX: &str = "gho_";

/// The file in the data directory holding the token's SHA-256, in hex.
pub const HASH_FILE: &str = "operator-token.sha256";

/// Where the operator token in force came from.
#[derive(Debug)]
pub enum TokenSource {
    /// `operator.token` in the configuration.
    Config,
    /// A hash file written on an earlier start or by `operator-token rotate`.
    HashFile(PathBuf),
    /// Just generated: the token is in hand, to be shown once.
    Generated { path: PathBuf, token: Secret },
}

/// The path of the hash file for a data directory.
pub fn hash_file(data_dir: &Path) -> PathBuf {
    data_dir.join(HASH_FILE)
}

/// The operator token to accept: configured, stored, or newly generated and stored.
pub fn load_or_create(config: &Config) -> anyhow::Result<(OperatorToken, TokenSource)> {
    if let Some(token) = &config.operator.token {
        check_format(token.expose())?;
        return Ok((
            OperatorToken::from_token(token.expose()),
            TokenSource::Config,
        ));
    }
    let path = hash_file(&config.data_dir);
    if path.exists() {
        let hash = read_hash(&path)?;
        return Ok((OperatorToken::from_hash(hash), TokenSource::HashFile(path)));
    }
    let (token, path) = rotate(&config.data_dir)?;
    Ok((
        OperatorToken::from_token(token.expose()),
        TokenSource::Generated { path, token },
    ))
}

/// Makes a new token and stores its hash, replacing any earlier one. Returns the token, to
/// be shown once, and the hash file's path.
pub fn rotate(data_dir: &Path) -> anyhow::Result<(Secret, PathBuf)> {
    ensure_data_dir(data_dir)?;
    let bytes = random::<32>(&OsEntropy).context("reading random bytes for the operator token")?;
    let token = Secret::new(format!("{TOKEN_PREFIX}{}", BASE64URL_NOPAD.encode(&bytes)));
    let hash = OperatorToken::from_token(token.expose()).hash();
    let path = hash_file(data_dir);
    write_private(&path, format!("{}\n", HEXLOWER.encode(&hash)).as_bytes())
        .with_context(|| format!("writing the operator token hash to {}", path.display()))?;
    Ok((token, path))
}

/// A configured token must look like one, so the server can tell it from an API key.
fn check_format(token: &str) -> anyhow::Result<()> {
    let Some(rest) = token.strip_prefix(TOKEN_PREFIX) else {
        bail!("operator.token must start with `{TOKEN_PREFIX}`");
    };
    if rest.len() < 32
        || !rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        bail!(
            "operator.token must be `{TOKEN_PREFIX}` followed by at least 32 characters of A-Z, a-z, 0-9, - and _"
        );
    }
    Ok(())
}

fn read_hash(path: &Path) -> anyhow::Result<[u8; 32]> {
    let raw = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let malformed = || {
        anyhow::anyhow!(
            "{} does not hold a SHA-256 in hex; run `gatehouse operator-token rotate` to make a new token",
            path.display()
        )
    };
    let bytes = HEXLOWER_PERMISSIVE
        .decode(raw.trim().as_bytes())
        .map_err(|_| malformed())?;
    bytes.try_into().map_err(|_| malformed())
}

/// Creates the data directory (and parents) readable by its owner only, if it is missing.
pub fn ensure_data_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("creating the data directory {}", dir.display()))
}

/// Writes `contents` to `path` with mode 0600, atomically (write a sibling, then rename).
pub fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    // The mode above applies only to new files; a leftover must be tightened too.
    #[cfg(unix)]
    fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path) -> Config {
        Config {
            data_dir: dir.join("data"),
            ..Config::default()
        }
    }

    #[test]
    fn generated_once_then_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path());
        let (first, source) = load_or_create(&config).unwrap();
        let TokenSource::Generated { token, path } = source else {
            panic!("expected a new token")
        };
        assert!(token.expose().starts_with("gho_"));
        assert_eq!(token.expose().len(), 4 + 43);
        assert!(first.matches(token.expose()));
        let stored = fs::read_to_string(&path).unwrap();
        assert!(!stored.contains(token.expose()), "only the hash is stored");

        let (second, source) = load_or_create(&config).unwrap();
        assert!(matches!(source, TokenSource::HashFile(_)));
        assert!(second.matches(token.expose()));

        let (new_token, _) = rotate(&config.data_dir).unwrap();
        let (third, _) = load_or_create(&config).unwrap();
        assert!(third.matches(new_token.expose()));
        assert!(
            !third.matches(token.expose()),
            "rotation retires the old token"
        );
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path());
        load_or_create(&config).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&config.data_dir), 0o700);
        assert_eq!(mode(&hash_file(&config.data_dir)), 0o600);
    }

    #[test]
    fn configured_token_wins_and_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path());
        let token = format!("gho_{}", "a".repeat(43));
        config.operator.token = Some(Secret::new(token.clone()));
        let (op, source) = load_or_create(&config).unwrap();
        assert!(matches!(source, TokenSource::Config));
        assert!(op.matches(&token));
        assert!(!hash_file(&config.data_dir).exists(), "nothing is written");

        for bad in [
            "gth_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "gho_short",
            "gho_has spaces and more than thirty-two chars",
        ] {
            config.operator.token = Some(Secret::new(bad));
            let err = load_or_create(&config).unwrap_err().to_string();
            assert!(
                !err.contains(bad),
                "the error does not echo the token: {err}"
            );
        }
    }

    #[test]
    fn a_corrupt_hash_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path());
        ensure_data_dir(&config.data_dir).unwrap();
        fs::write(hash_file(&config.data_dir), "not hex").unwrap();
        let err = load_or_create(&config).unwrap_err().to_string();
        assert!(err.contains("operator-token rotate"), "{err}");
    }
}
