//! Randomness is a parameter, like time: services draw it from an [`Entropy`] handed to
//! them, the operating system's CSPRNG in production.

use crate::error::{Error, Result};

/// Where random bytes come from.
pub trait Entropy: Send + Sync + std::fmt::Debug {
    fn fill(&self, buf: &mut [u8]) -> Result<()>;
}

/// The operating system's CSPRNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    // The one place that reads the operating system's randomness (clippy bans it elsewhere).
    #[allow(clippy::disallowed_methods)]
    fn fill(&self, buf: &mut [u8]) -> Result<()> {
        getrandom::fill(buf).map_err(|e| Error::Randomness(e.to_string()))
    }
}

/// `N` random bytes.
pub fn random<const N: usize>(entropy: &dyn Entropy) -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    entropy.fill(&mut bytes)?;
    Ok(bytes)
}
