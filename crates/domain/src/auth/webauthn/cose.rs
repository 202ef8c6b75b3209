//! COSE public keys (RFC 9052/9053) as authenticators send them, and the one signature check
//! of an assertion, through aws-lc-rs: ES256 (P-256), EdDSA (Ed25519) and RS256.

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, ED25519, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents,
    UnparsedPublicKey,
};
use ciborium::value::{Integer, Value};

use crate::error::{Error, Result};

/// COSE algorithm numbers Gatehouse accepts, in its order of preference.
pub const ES256: i64 = -7;
pub const EDDSA: i64 = -8;
pub const RS256: i64 = -257;
pub const ALGORITHMS: [i64; 3] = [ES256, EDDSA, RS256];

fn rejected(why: &'static str) -> Error {
    Error::PasskeyRejected(why)
}

/// A credential's public key, checked for shape when it is registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// Uncompressed SEC1 point (`04 ‖ x ‖ y`).
    Es256(Vec<u8>),
    Ed25519(Vec<u8>),
    Rs256 {
        n: Vec<u8>,
        e: Vec<u8>,
    },
}

fn label(map: &[(Value, Value)], key: i64) -> Option<&Value> {
    map.iter()
        .find(|(k, _)| k.as_integer() == Some(Integer::from(key)))
        .map(|(_, v)| v)
}

fn int(map: &[(Value, Value)], key: i64) -> Option<i128> {
    label(map, key)?.as_integer().map(i128::from)
}

fn bytes(map: &[(Value, Value)], key: i64) -> Result<Vec<u8>> {
    label(map, key)
        .and_then(Value::as_bytes)
        .cloned()
        .ok_or_else(|| rejected("the public key lacks a coordinate"))
}

impl PublicKey {
    /// Reads a COSE_Key; only the key types and algorithms Gatehouse accepts.
    pub fn from_cose(value: &Value) -> Result<(i64, Self)> {
        let map = value
            .as_map()
            .ok_or_else(|| rejected("the public key is not a COSE key"))?;
        let (kty, alg) = (int(map, 1), int(map, 3));
        let key = match (kty, alg) {
            (Some(2), Some(-7)) if int(map, -1) == Some(1) => {
                let (x, y) = (bytes(map, -2)?, bytes(map, -3)?);
                if x.len() != 32 || y.len() != 32 {
                    return Err(rejected("the P-256 key has the wrong size"));
                }
                (ES256, PublicKey::Es256([&[4u8][..], &x, &y].concat()))
            }
            (Some(1), Some(-8)) if int(map, -1) == Some(6) => {
                let x = bytes(map, -2)?;
                if x.len() != 32 {
                    return Err(rejected("the Ed25519 key has the wrong size"));
                }
                (EDDSA, PublicKey::Ed25519(x))
            }
            (Some(3), Some(-257)) => {
                let (n, e) = (bytes(map, -1)?, bytes(map, -2)?);
                if n.len() < 256 {
                    return Err(rejected("the RSA key is shorter than 2048 bits"));
                }
                (RS256, PublicKey::Rs256 { n, e })
            }
            _ => return Err(rejected("the key's algorithm is not supported")),
        };
        Ok(key)
    }

    /// Reads a COSE_Key from its CBOR bytes (as stored).
    pub fn from_cose_bytes(raw: &[u8]) -> Result<(i64, Self)> {
        let value: Value = ciborium::de::from_reader(raw)
            .map_err(|_| rejected("the stored public key does not parse"))?;
        Self::from_cose(&value)
    }

    /// Whether `signature` is this key's over `message`.
    pub fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        match self {
            PublicKey::Es256(point) => UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, point)
                .verify(message, sig)
                .is_ok(),
            PublicKey::Ed25519(key) => UnparsedPublicKey::new(&ED25519, key)
                .verify(message, sig)
                .is_ok(),
            PublicKey::Rs256 { n, e } => RsaPublicKeyComponents { n, e }
                .verify(&RSA_PKCS1_2048_8192_SHA256, message, sig)
                .is_ok(),
        }
    }
}
