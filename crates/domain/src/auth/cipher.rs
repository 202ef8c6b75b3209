//! Encryption at rest of TOTP secrets: AES-256-GCM with a random 96-bit nonce per
//! ciphertext. Each ciphertext names the version of the key that made it
//! (`v<version>.<base64url(nonce ‖ ciphertext)>`), so keys can be rotated: new secrets use
//! the current key, old ones still open with the key of their version.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use data_encoding::BASE64URL_NOPAD;

use super::entropy::{Entropy, random};
use crate::error::{Error, Result};

/// The keys, the current one first.
#[derive(Clone)]
pub struct SecretCipher {
    current: u32,
    keys: Vec<(u32, Aes256Gcm)>,
}

impl std::fmt::Debug for SecretCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let versions: Vec<u32> = self.keys.iter().map(|(v, _)| *v).collect();
        write!(
            f,
            "SecretCipher(current v{}, keys {versions:?})",
            self.current
        )
    }
}

fn corrupt() -> Error {
    Error::SecretDecryption("not with the configured keys".to_owned())
}

impl SecretCipher {
    /// `current` encrypts; `previous` only decrypt.
    pub fn new(current: (u32, [u8; 32]), previous: &[(u32, [u8; 32])]) -> Self {
        let keys = std::iter::once(current)
            .chain(previous.iter().copied())
            .map(|(v, k)| (v, Aes256Gcm::new(&k.into())))
            .collect();
        Self {
            current: current.0,
            keys,
        }
    }

    /// Encrypts `plaintext`, bound to `context` (e.g. the user id): a ciphertext moved to
    /// another row does not open.
    pub fn seal(&self, entropy: &dyn Entropy, plaintext: &[u8], context: &[u8]) -> Result<String> {
        let Some((version, key)) = self.keys.first() else {
            return Err(corrupt());
        };
        let nonce = random::<12>(entropy)?;
        let mut sealed = nonce.to_vec();
        sealed.extend(
            key.encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .map_err(|_| corrupt())?,
        );
        Ok(format!("v{version}.{}", BASE64URL_NOPAD.encode(&sealed)))
    }

    /// Decrypts what [`SecretCipher::seal`] made with the same `context`.
    pub fn open(&self, sealed: &str, context: &[u8]) -> Result<Vec<u8>> {
        let (version, body) = sealed
            .strip_prefix('v')
            .and_then(|s| s.split_once('.'))
            .ok_or_else(corrupt)?;
        let version: u32 = version.parse().map_err(|_| corrupt())?;
        let (_, key) = self
            .keys
            .iter()
            .find(|(v, _)| *v == version)
            .ok_or_else(corrupt)?;
        let bytes = BASE64URL_NOPAD
            .decode(body.as_bytes())
            .map_err(|_| corrupt())?;
        if bytes.len() < 12 {
            return Err(corrupt());
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        key.decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: context,
            },
        )
        .map_err(|_| corrupt())
    }

    /// The version new ciphertexts carry.
    pub fn current_version(&self) -> u32 {
        self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::OsEntropy;

    #[test]
    fn seal_open_and_rotate() {
        let old = SecretCipher::new((1, [1; 32]), &[]);
        let sealed = old.seal(&OsEntropy, b"secret", b"user-1").unwrap();
        assert!(sealed.starts_with("v1."));
        assert_eq!(old.open(&sealed, b"user-1").unwrap(), b"secret");
        assert!(
            old.open(&sealed, b"user-2").is_err(),
            "bound to its context"
        );
        assert_ne!(old.seal(&OsEntropy, b"secret", b"user-1").unwrap(), sealed);

        let rotated = SecretCipher::new((2, [2; 32]), &[(1, [1; 32])]);
        assert_eq!(rotated.open(&sealed, b"user-1").unwrap(), b"secret");
        assert!(
            rotated
                .seal(&OsEntropy, b"x", b"")
                .unwrap()
                .starts_with("v2.")
        );
        let without_old = SecretCipher::new((2, [2; 32]), &[]);
        assert!(without_old.open(&sealed, b"user-1").is_err());
        assert!(old.open("v1.garbage", b"").is_err());
        assert!(!format!("{old:?}").contains("1, 1"));
    }
}
