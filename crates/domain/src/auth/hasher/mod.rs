//! argon2id password hashing, off the async threads and bounded: at most `concurrency` hashes
//! run at once, on as many dedicated workers that each reuse one argon2 memory (`pool`,
//! `memory`), so a flood of sign-ins queues here instead of starving every other request of
//! the runtime's threads, and memory stays put however many passwords are hashed.

mod memory;
mod pool;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use argon2::password_hash::PasswordHash;
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::OnceCell;
use zeroize::Zeroizing;

use super::config::Argon2Params;
use super::password::{LONGEST_MAX_CHARS, MAX_PASSWORD_BYTES};
use crate::error::{Error, Result};
use pool::Pool;

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct PasswordHasher {
    argon: Argon2<'static>,
    pool: Arc<Pool>,
    /// A hash of nothing, verified against when there is no account, so that an unknown
    /// email costs the same time as a wrong password.
    dummy: Arc<OnceCell<String>>,
    /// How many times argon2 has run (hashes and verifications), for tests and metrics.
    runs: Arc<AtomicU64>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", self.argon.params())
            .field("available", &self.pool.available())
            .finish()
    }
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::PasswordHashing(e.to_string())
}

const ALGORITHM: Algorithm = Algorithm::Argon2id;
const VERSION: Version = Version::V0x13;

impl PasswordHasher {
    pub fn new(params: Argon2Params, concurrency: usize) -> Result<Self> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| Error::invalid("invalid_argon2_params", "argon2", e.to_string()))?;
        Ok(Self::with_params(params, concurrency))
    }

    /// argon2's defaults, which are OWASP's (19 MiB, 2 passes, 1 lane).
    pub fn owasp(concurrency: usize) -> Self {
        Self::with_params(Params::DEFAULT, concurrency)
    }

    fn with_params(params: Params, concurrency: usize) -> Self {
        Self {
            argon: Argon2::new(ALGORITHM, VERSION, params.clone()),
            pool: Arc::new(Pool::new(params, concurrency)),
            dummy: Arc::new(OnceCell::new()),
            runs: Arc::default(),
        }
    }

    /// How many times argon2 has run so far.
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }

    /// The PHC string of `password` with a fresh `salt`.
    pub async fn hash(&self, password: &str, salt: [u8; 16]) -> Result<String> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(Error::invalid(
                "password_too_long",
                "password",
                format!("must be at most {LONGEST_MAX_CHARS} characters"),
            ));
        }
        let password = Zeroizing::new(password.to_owned());
        let argon = self.argon.clone();
        self.runs.fetch_add(1, Ordering::Relaxed);
        self.pool
            .run(move |memory| {
                memory
                    .hash(&argon, ALGORITHM, VERSION, password.as_bytes(), &salt)
                    .map_err(internal)
            })
            .await?
    }

    /// Whether `password` matches `phc`. With no hash (no such account, no password set) the
    /// dummy is verified instead, and the answer is `false`.
    ///
    /// Input longer than any password can be matches nothing and is refused before argon2
    /// runs: hashing a megabyte would cost the server, not the sender.
    pub async fn verify(&self, password: &str, phc: Option<&str>) -> Result<bool> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Ok(false);
        }
        let (phc, real) = match phc {
            Some(phc) => (phc.to_owned(), true),
            None => (self.dummy_hash().await?, false),
        };
        let password = Zeroizing::new(password.to_owned());
        self.runs.fetch_add(1, Ordering::Relaxed);
        let matches = self
            .pool
            .run(move |memory| {
                PasswordHash::new(&phc)
                    .map(|parsed| memory.verify(password.as_bytes(), &parsed))
                    .map_err(internal)
            })
            .await??;
        Ok(matches && real)
    }

    async fn dummy_hash(&self) -> Result<String> {
        self.dummy
            .get_or_try_init(|| self.hash("no account has this password", [7; 16]))
            .await
            .cloned()
    }
}

#[cfg(test)]
mod tests;
