//! The signing algorithms Gatehouse uses: asymmetric only, so a verifier never holds a
//! secret and a public key can never be mistaken for an HMAC key.

use serde::{Deserialize, Serialize};

/// A JWS signing algorithm (RFC 7518 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SigningAlg {
    /// ECDSA on P-256 with SHA-256: the default.
    #[serde(rename = "ES256")]
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, for clients that need it.
    #[serde(rename = "RS256")]
    Rs256,
}

impl SigningAlg {
    /// Every algorithm, the default first.
    pub const ALL: [SigningAlg; 2] = [SigningAlg::Es256, SigningAlg::Rs256];

    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Es256 => "ES256",
            SigningAlg::Rs256 => "RS256",
        }
    }

    /// The exact RFC 7518 name (case matters: `es256` is not an algorithm).
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }
}

impl std::fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The modulus size of generated RSA keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RsaKeySize {
    #[default]
    Bits2048,
    Bits3072,
}

impl RsaKeySize {
    pub fn bits(self) -> u32 {
        match self {
            RsaKeySize::Bits2048 => 2048,
            RsaKeySize::Bits3072 => 3072,
        }
    }

    pub fn from_bits(bits: u32) -> Option<Self> {
        match bits {
            2048 => Some(RsaKeySize::Bits2048),
            3072 => Some(RsaKeySize::Bits3072),
            _ => None,
        }
    }
}
