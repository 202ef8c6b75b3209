//! Public keys as JSON Web Keys (RFC 7517/7518) and the set a JWKS endpoint serves. Key ids
//! are RFC 7638 thumbprints: derived from the key itself, so two nodes that load the same
//! key name it the same way and no two keys share an id.

use data_encoding::BASE64URL_NOPAD;
use serde::{Deserialize, Serialize};

use crate::alg::SigningAlg;

/// A public signing key. Only the members of the two key types we publish are known:
/// `EC` (`crv`, `x`, `y`) and `RSA` (`n`, `e`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub alg: SigningAlg,
    pub kid: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub crv: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub x: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub y: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub n: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub e: Option<String>,
}

impl Jwk {
    /// A P-256 key from its affine coordinates; the kid is its thumbprint.
    pub(crate) fn ec_p256(x: &[u8], y: &[u8]) -> Self {
        let (x, y) = (BASE64URL_NOPAD.encode(x), BASE64URL_NOPAD.encode(y));
        let kid = thumbprint(&format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#
        ));
        Self {
            kty: "EC".to_owned(),
            use_: "sig".to_owned(),
            alg: SigningAlg::Es256,
            kid,
            crv: Some("P-256".to_owned()),
            x: Some(x),
            y: Some(y),
            n: None,
            e: None,
        }
    }

    /// An RSA key from its modulus and exponent (big-endian, no leading zeros).
    pub(crate) fn rsa(n: &[u8], e: &[u8]) -> Self {
        let (n, e) = (BASE64URL_NOPAD.encode(n), BASE64URL_NOPAD.encode(e));
        let kid = thumbprint(&format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#));
        Self {
            kty: "RSA".to_owned(),
            use_: "sig".to_owned(),
            alg: SigningAlg::Rs256,
            kid,
            crv: None,
            x: None,
            y: None,
            n: Some(n),
            e: Some(e),
        }
    }

    pub fn to_json(&self) -> String {
        // A struct of strings always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The RFC 7638 thumbprint (SHA-256, base64url) of a key's required members, given in
/// their canonical JSON form.
fn thumbprint(canonical: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    BASE64URL_NOPAD.encode(digest.as_ref())
}

/// A JWK Set, as `jwks_uri` serves it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

impl Jwks {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
