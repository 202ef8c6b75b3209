//! Secret tokens: 256 random bits handed to their holder once (in a link or a cookie). Only
//! the SHA-256 is stored; a fast hash suits a secret this long.

use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use sha2::{Digest, Sha256};

use super::entropy::{Entropy, random};
use crate::error::Result;

/// A token as its holder has it.
pub struct SecretToken([u8; 32]);

impl std::fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

impl SecretToken {
    pub fn generate(entropy: &dyn Entropy) -> Result<Self> {
        random::<32>(entropy).map(Self)
    }

    /// The token from its text form; `None` when it is not one.
    pub fn parse(raw: &str) -> Option<Self> {
        if raw.len() != 43 {
            return None;
        }
        let bytes = BASE64URL_NOPAD.decode(raw.as_bytes()).ok()?;
        bytes.try_into().ok().map(Self)
    }

    /// The text form (43 base64url characters), for links and cookies.
    pub fn encode(&self) -> String {
        BASE64URL_NOPAD.encode(&self.0)
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0).into())
    }

    /// A value derived from the token for a purpose (the CSRF token of a session): whoever
    /// holds the token can compute it, nobody else can.
    pub fn derive(&self, purpose: &str) -> String {
        let mut h = Sha256::new();
        h.update(purpose.as_bytes());
        h.update([0]);
        h.update(self.0);
        BASE64URL_NOPAD.encode(&h.finalize())
    }
}

/// What is stored of a token.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenHash({}…)", &self.to_hex()[..8])
    }
}

impl TokenHash {
    /// The hash of any short secret (a recovery code, normalised).
    pub fn of(secret: &[u8]) -> Self {
        Self(Sha256::digest(secret).into())
    }

    pub fn to_hex(&self) -> String {
        HEXLOWER.encode(&self.0)
    }

    pub fn from_hex(hex: &str) -> Option<Self> {
        HEXLOWER
            .decode(hex.as_bytes())
            .ok()?
            .try_into()
            .ok()
            .map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::OsEntropy;

    #[test]
    fn round_trip_and_redaction() {
        let t = SecretToken::generate(&OsEntropy).unwrap();
        let text = t.encode();
        assert_eq!(text.len(), 43);
        let back = SecretToken::parse(&text).unwrap();
        assert_eq!(back.hash(), t.hash());
        assert!(!format!("{t:?}").contains(&text[..10]));
        assert_ne!(t.derive("csrf"), t.derive("other"));
        assert_eq!(TokenHash::from_hex(&t.hash().to_hex()), Some(t.hash()));
        assert!(SecretToken::parse("short").is_none());
        assert!(SecretToken::parse(&"!".repeat(43)).is_none());
    }
}
