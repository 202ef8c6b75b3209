//! The keys as this node holds them: the active key of each algorithm parsed for signing,
//! every published key parsed for verifying, and the JWKS document already serialized.
//! Built from the stored rows on each reload (reusing what is already parsed) and swapped
//! whole, so signing, verifying and serving the JWKS never touch the database or a lock.

use std::sync::Arc;

use gatehouse_oidc::{Jwk, Jwks, SigningAlg, SigningKey, VerifyingKey};
use time::OffsetDateTime;

use super::store::{SigningKeyState, StoredSigningKey};
use crate::auth::SecretCipher;
use crate::error::{Error, Result};

/// A published key and the instant it stops verifying (retired keys only).
#[derive(Debug)]
pub(crate) struct Published {
    pub(crate) key: Arc<VerifyingKey>,
    pub(crate) until: Option<OffsetDateTime>,
}

#[derive(Debug)]
pub(crate) struct KeyRing {
    /// The active key of each algorithm.
    signing: Vec<Arc<SigningKey>>,
    published: Vec<Published>,
    jwks: Arc<str>,
}

impl Default for KeyRing {
    fn default() -> Self {
        Self {
            signing: Vec::new(),
            published: Vec::new(),
            jwks: Jwks::default().to_json().into(),
        }
    }
}

fn corrupt(kid: &str, what: &str) -> Error {
    Error::SecretDecryption(format!("signing key {kid}: {what}"))
}

impl KeyRing {
    /// The ring of `rows` at `now`: keys past their removal time are left out. Parsed keys of
    /// `previous` are reused by kid (parsing an RSA key is the slow part).
    pub(crate) fn build(
        rows: &[StoredSigningKey],
        previous: &KeyRing,
        cipher: &SecretCipher,
        now: OffsetDateTime,
    ) -> Result<Self> {
        let mut ring = KeyRing {
            signing: Vec::new(),
            published: Vec::new(),
            jwks: Arc::from(""),
        };
        let mut ordered: Vec<&StoredSigningKey> = rows
            .iter()
            .filter(|r| r.removable_at.is_none_or(|t| t > now))
            .collect();
        // The JWKS lists each algorithm's active key first, then next, then retired.
        ordered.sort_by_key(|r| (r.alg, state_rank(r.state()), r.created_at));
        for row in ordered {
            let state = row.state();
            let key = match previous.published.iter().find(|p| p.key.kid() == row.kid) {
                Some(p) => p.key.clone(),
                None => {
                    let jwk: Jwk = serde_json::from_str(&row.public_jwk)
                        .map_err(|_| corrupt(&row.kid, "the public JWK does not parse"))?;
                    let key = VerifyingKey::from_jwk(&jwk)
                        .map_err(|e| corrupt(&row.kid, &e.to_string()))?;
                    if key.kid() != row.kid || key.alg() != row.alg {
                        return Err(corrupt(&row.kid, "the public JWK is of another key"));
                    }
                    Arc::new(key)
                }
            };
            if state == SigningKeyState::Active {
                let signing = match previous.signing.iter().find(|k| k.kid() == row.kid) {
                    Some(k) => k.clone(),
                    None => Arc::new(open(row, cipher)?),
                };
                ring.signing.push(signing);
            }
            ring.published.push(Published {
                key,
                until: row.removable_at,
            });
        }
        let jwks = Jwks {
            keys: ring.published.iter().map(|p| p.key.jwk().clone()).collect(),
        };
        ring.jwks = jwks.to_json().into();
        Ok(ring)
    }

    pub(crate) fn signing_key(&self, alg: SigningAlg) -> Option<&SigningKey> {
        self.signing
            .iter()
            .find(|k| k.alg() == alg)
            .map(Arc::as_ref)
    }

    /// The key `kid` if it still verifies at `now`.
    pub(crate) fn verifying_key(&self, kid: &str, now: OffsetDateTime) -> Option<&VerifyingKey> {
        self.published
            .iter()
            .find(|p| p.key.kid() == kid && p.until.is_none_or(|t| t > now))
            .map(|p| p.key.as_ref())
    }

    pub(crate) fn jwks(&self) -> Arc<str> {
        self.jwks.clone()
    }
}

fn state_rank(s: SigningKeyState) -> u8 {
    match s {
        SigningKeyState::Active => 0,
        SigningKeyState::Next => 1,
        SigningKeyState::Retired => 2,
    }
}

/// Opens a stored private key and checks that it is the key its row names.
pub(crate) fn open(row: &StoredSigningKey, cipher: &SecretCipher) -> Result<SigningKey> {
    let der = zeroize::Zeroizing::new(cipher.open(
        &row.sealed_private_key,
        &StoredSigningKey::seal_context(&row.kid),
    )?);
    let key =
        SigningKey::from_pkcs8(row.alg, &der).map_err(|e| corrupt(&row.kid, &e.to_string()))?;
    if key.kid() != row.kid {
        return Err(corrupt(&row.kid, "the private key is of another key"));
    }
    Ok(key)
}
