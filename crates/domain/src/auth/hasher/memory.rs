//! argon2id on a worker's own memory: the blocks are allocated once, when the worker starts,
//! and every hash and verification after that runs in them. Nothing of argon2's size is
//! allocated or freed per password, so the allocator has nothing to keep.
//!
//! Reusing the blocks is sound: argon2 writes every block before it reads it, so what the
//! previous run left behind never enters the next one.

use argon2::password_hash::{self, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// One worker's argon2 memory, sized for the configured cost.
pub(super) struct Memory {
    blocks: Vec<Block>,
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memory")
            .field("blocks", &self.blocks.len())
            .finish()
    }
}

impl Memory {
    pub(super) fn for_params(params: &Params) -> Self {
        Self {
            blocks: vec![Block::default(); params.block_count()],
        }
    }

    /// argon2 of `password` and `salt` into `out`. A hash made with more memory than the
    /// configured cost (an older, costlier setting) gets memory of its own for this run only,
    /// so that one such hash does not grow every worker for good.
    fn run(
        &mut self,
        argon: &Argon2<'_>,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> argon2::Result<()> {
        match self.blocks.get_mut(..argon.params().block_count()) {
            Some(blocks) => argon.hash_password_into_with_memory(password, salt, out, blocks),
            None => argon.hash_password_into(password, salt, out),
        }
    }

    /// The PHC string of `password` with `salt` under `argon`'s settings: exactly what
    /// `argon2::PasswordHasher::hash_password` writes.
    pub(super) fn hash(
        &mut self,
        argon: &Argon2<'_>,
        algorithm: Algorithm,
        version: Version,
        password: &[u8],
        salt: &[u8; 16],
    ) -> password_hash::Result<String> {
        let phc_salt = SaltString::encode_b64(salt)?;
        let len = argon
            .params()
            .output_len()
            .unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let hash = Output::init_with(len, |out| Ok(self.run(argon, password, salt, out)?))?;
        let phc = PasswordHash {
            algorithm: algorithm.ident(),
            version: Some(version.into()),
            params: ParamsString::try_from(argon.params())?,
            salt: Some(phc_salt.as_salt()),
            hash: Some(hash),
        };
        Ok(phc.to_string())
    }

    /// Whether `password` matches `phc`, under the algorithm, version and cost the PHC
    /// string names (as `argon2::PasswordVerifier` does). The outputs are compared in
    /// constant time (`Output`'s equality).
    pub(super) fn verify(&mut self, password: &[u8], phc: &PasswordHash<'_>) -> bool {
        self.check(password, phc).is_ok()
    }

    fn check(&mut self, password: &[u8], phc: &PasswordHash<'_>) -> password_hash::Result<()> {
        let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
            return Err(password_hash::Error::Password);
        };
        let algorithm = Algorithm::try_from(phc.algorithm)?;
        let version = phc
            .version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or_default();
        let argon = Argon2::new(algorithm, version, Params::try_from(phc)?);
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
        let computed = Output::init_with(expected.len(), |out| {
            Ok(self.run(&argon, password, salt_bytes, out)?)
        })?;
        if computed == *expected {
            Ok(())
        } else {
            Err(password_hash::Error::Password)
        }
    }
}
