//! argon2id password hashing, off the async threads and bounded: at most `concurrency` hashes
//! run at once, on the blocking pool, so a flood of sign-ins queues here instead of starving
//! every other request of the runtime's threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{OnceCell, Semaphore};

use super::config::Argon2Params;
use super::password::{LONGEST_MAX_CHARS, MAX_PASSWORD_BYTES};
use crate::error::{Error, Result};

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct PasswordHasher {
    argon: Argon2<'static>,
    permits: Arc<Semaphore>,
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
            .field("available", &self.permits.available_permits())
            .finish()
    }
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::PasswordHashing(e.to_string())
}

impl PasswordHasher {
    pub fn new(params: Argon2Params, concurrency: usize) -> Result<Self> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| Error::invalid("invalid_argon2_params", "argon2", e.to_string()))?;
        Ok(Self {
            argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy: Arc::new(OnceCell::new()),
            runs: Arc::default(),
        })
    }

    /// argon2's defaults, which are OWASP's (19 MiB, 2 passes, 1 lane).
    pub fn owasp(concurrency: usize) -> Self {
        Self {
            argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::DEFAULT),
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy: Arc::new(OnceCell::new()),
            runs: Arc::default(),
        }
    }

    /// How many times argon2 has run so far.
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Argon2<'static>) -> T + Send + 'static,
    ) -> Result<T> {
        let _permit = self.permits.acquire().await.map_err(internal)?;
        self.runs.fetch_add(1, Ordering::Relaxed);
        let argon = self.argon.clone();
        tokio::task::spawn_blocking(move || work(&argon))
            .await
            .map_err(internal)
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
        let password = password.to_owned();
        self.blocking(move |argon| {
            let salt = SaltString::encode_b64(&salt).map_err(internal)?;
            argon
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
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
        let password = password.to_owned();
        let matches = self
            .blocking(move |argon| {
                PasswordHash::new(&phc)
                    .map(|parsed| argon.verify_password(password.as_bytes(), &parsed).is_ok())
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
mod tests {
    use super::*;

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(
            Argon2Params {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            2,
        )
        .unwrap()
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let h = cheap();
        let phc = h
            .hash("violet kettle marches north", [1; 16])
            .await
            .unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(
            h.verify("violet kettle marches north", Some(&phc))
                .await
                .unwrap()
        );
        assert!(
            !h.verify("violet kettle marches south", Some(&phc))
                .await
                .unwrap()
        );
        assert!(
            !h.verify("no account has this password", None)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn default_parameters_are_owasps() {
        let h = PasswordHasher::new(Argon2Params::default(), 1).unwrap();
        let phc = h
            .hash("violet kettle marches north", [2; 16])
            .await
            .unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(
            h.verify("violet kettle marches north", Some(&phc))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn long_unicode_is_not_truncated() {
        let h = cheap();
        let long: String = "🦀ü".repeat(150);
        let phc = h.hash(&long, [3; 16]).await.unwrap();
        let mut other = long.clone();
        other.push('x');
        assert!(h.verify(&long, Some(&phc)).await.unwrap());
        assert!(!h.verify(&other, Some(&phc)).await.unwrap());
    }
}
