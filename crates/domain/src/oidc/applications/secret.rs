//! Client secrets: 256 random bits from the entropy source, handed over once as
//! `gcs_<43 base64url characters>`; only the SHA-256 of that text is kept (a fast hash suits
//! a secret this long), and a presented secret is compared in constant time.

use data_encoding::BASE64URL_NOPAD;
use subtle::ConstantTimeEq;

use crate::application::Application;
use crate::services::hash_secret;

/// The fixed prefix of every client secret, so secret scanners can find leaked ones
/// (distinct from API keys' `gth_` and the operator token's `gho_`).
pub const CLIENT_SECRET_PREFIX: &str = "gcs_";

/// A new client secret: its text (for its holder, once) and the hash that is stored.
pub(super) struct ClientSecret {
    pub(super) text: String,
    pub(super) hash: [u8; 32],
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

impl ClientSecret {
    pub(super) fn from_random(bytes: [u8; 32]) -> Self {
        let text = format!("{CLIENT_SECRET_PREFIX}{}", BASE64URL_NOPAD.encode(&bytes));
        let hash = hash_secret(text.as_bytes());
        Self { text, hash }
    }
}

/// Whether `presented` is `app`'s current client secret. Constant-time in the secret; a
/// public client (no secret) never matches.
pub fn verify_client_secret(app: &Application, presented: &str) -> bool {
    let Some(stored) = &app.secret_hash else {
        return false;
    };
    bool::from(hash_secret(presented.as_bytes()).ct_eq(stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_look_alike_and_hide_in_debug() {
        let s = ClientSecret::from_random([7; 32]);
        assert!(s.text.starts_with("gcs_"));
        assert_eq!(s.text.len(), 4 + 43);
        assert_eq!(s.hash, hash_secret(s.text.as_bytes()));
        assert!(!format!("{s:?}").contains(&s.text[4..12]));
        assert_ne!(ClientSecret::from_random([8; 32]).text, s.text);
    }
}
