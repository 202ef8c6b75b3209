//! Storage of the signing keys (`signing_keys`), apart from the rest of the [`Store`]
//! (crate::store::Store) so that it stays one concern: reads and housekeeping in
//! [`SigningKeyStore`], changes inside a transaction in [`SigningKeyWrites`].
//!
//! A key is *next* (published, not signing) while `activated_at` is unset, *active* from
//! `activated_at` until `retired_at`, then *retired* (published, verifying) until
//! `removable_at`, when it is deleted. The database keeps at most one next and one active key
//! per algorithm (partial unique indexes), so nodes that start or rotate at once cannot both
//! win.

use async_trait::async_trait;
use serde::Serialize;
use time::OffsetDateTime;

use crate::error::Result;
use gatehouse_oidc::SigningAlg;

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SigningKeyState {
    /// In the JWKS, not signing yet: the key the next rotation activates.
    Next,
    /// Signing new tokens (one per algorithm).
    Active,
    /// No longer signing; in the JWKS and verifying until its removal time.
    Retired,
}

impl SigningKeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            SigningKeyState::Next => "next",
            SigningKeyState::Active => "active",
            SigningKeyState::Retired => "retired",
        }
    }
}

/// A stored signing key. The private key is sealed with the secret cipher, bound to the kid.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSigningKey {
    /// The RFC 7638 thumbprint of the public key.
    pub kid: String,
    pub alg: SigningAlg,
    /// PKCS#8 DER sealed by `SecretCipher` with the context [`StoredSigningKey::seal_context`].
    pub sealed_private_key: String,
    /// The public key as a JWK (JSON text).
    pub public_jwk: String,
    pub created_at: OffsetDateTime,
    pub activated_at: Option<OffsetDateTime>,
    pub retired_at: Option<OffsetDateTime>,
    /// When a retired key is deleted: its retirement plus the longest token lifetime.
    pub removable_at: Option<OffsetDateTime>,
}

impl std::fmt::Debug for StoredSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("state", &self.state())
            .field("sealed_private_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl StoredSigningKey {
    pub fn state(&self) -> SigningKeyState {
        match (self.activated_at, self.retired_at) {
            (_, Some(_)) => SigningKeyState::Retired,
            (Some(_), None) => SigningKeyState::Active,
            (None, None) => SigningKeyState::Next,
        }
    }

    /// What the sealed private key is bound to: a ciphertext moved to another row does not
    /// open.
    pub fn seal_context(kid: &str) -> Vec<u8> {
        format!("gatehouse signing key {kid}").into_bytes()
    }
}

/// Reads of the signing keys, and the deletion of keys past their removal time.
#[async_trait]
pub trait SigningKeyStore: Send + Sync {
    /// Every stored key, oldest first.
    async fn list_signing_keys(&self) -> Result<Vec<StoredSigningKey>>;
    /// Deletes the retired keys whose removal time is at or before `now`; how many.
    /// Housekeeping, not a change anyone made: not audited (the rotation that set the time
    /// was).
    async fn delete_removable_signing_keys(&self, now: OffsetDateTime) -> Result<u64>;
}

/// Changes to the signing keys, inside a [`StoreTx`](crate::store::StoreTx).
#[async_trait]
pub trait SigningKeyWrites: Send {
    /// Every stored key, oldest first, as this transaction sees them.
    async fn list_signing_keys(&mut self) -> Result<Vec<StoredSigningKey>>;
    /// Inserts `key` unless the algorithm already has a key in the same state (next or
    /// active) or the kid exists; whether it was inserted. Never fails on that conflict, so a
    /// PostgreSQL transaction that loses a race stays usable.
    async fn insert_signing_key(&mut self, key: &StoredSigningKey) -> Result<bool>;
    /// Makes the active key `kid` retired; false when it is not (or no longer) active.
    async fn retire_signing_key(
        &mut self,
        kid: &str,
        at: OffsetDateTime,
        removable_at: OffsetDateTime,
    ) -> Result<bool>;
    /// Makes the next key `kid` active; false when it is not (or no longer) next.
    async fn activate_signing_key(&mut self, kid: &str, at: OffsetDateTime) -> Result<bool>;
}
