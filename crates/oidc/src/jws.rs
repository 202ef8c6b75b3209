//! Compact JWS (RFC 7515) with our keys only. Signing writes `{"alg","kid","typ"}`; verifying
//! accepts a token only when its `alg` is one of ours (ES256, RS256: never `none`, never an
//! HMAC), its `kid` names one of the given keys *of that algorithm*, its `typ` is one the
//! caller expects, it names no critical extension, and the signature verifies. Claims are
//! then the caller's to check ([`crate::ClaimChecks`]).

use data_encoding::BASE64URL_NOPAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::alg::SigningAlg;
use crate::error::{JwtError, KeyError};
use crate::keys::{SigningKey, VerifyingKey};

/// The largest token [`verify`] reads; anything longer is refused before decoding.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The `typ` of the tokens we issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    /// ID tokens (OIDC Core): `JWT`.
    Jwt,
    /// Access tokens (RFC 9068): `at+jwt`.
    AccessToken,
    /// Back-channel logout tokens: `logout+jwt`.
    LogoutToken,
}

impl TokenType {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Jwt => "JWT",
            TokenType::AccessToken => "at+jwt",
            TokenType::LogoutToken => "logout+jwt",
        }
    }
}

/// The protected header of a verified token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// Present only to be refused: we implement no extension (RFC 7515 §4.1.11).
    #[serde(default, skip_serializing)]
    crit: Option<serde_json::Value>,
}

/// `typ` values compare without case and without an `application/` prefix (RFC 7515
/// §4.1.9).
fn same_type(given: &str, expected: &str) -> bool {
    let strip = |t: &str| {
        let t = t.trim();
        match t.get(..12) {
            Some(p) if p.eq_ignore_ascii_case("application/") => t[12..].to_owned(),
            _ => t.to_owned(),
        }
    };
    strip(given).eq_ignore_ascii_case(&strip(expected))
}

/// Signs `claims` with `key` as a compact JWS of type `typ` (`JWT`, `at+jwt`,
/// `logout+jwt`, …).
pub fn sign(key: &SigningKey, typ: &str, claims: &impl Serialize) -> Result<String, KeyError> {
    let header = Header {
        alg: key.alg().as_str().to_owned(),
        kid: Some(key.kid().to_owned()),
        typ: Some(typ.to_owned()),
        crit: None,
    };
    let header = serde_json::to_vec(&header).map_err(|e| KeyError::Claims(e.to_string()))?;
    let payload = serde_json::to_vec(claims).map_err(|e| KeyError::Claims(e.to_string()))?;
    let mut token = BASE64URL_NOPAD.encode(&header);
    token.push('.');
    BASE64URL_NOPAD.encode_append(&payload, &mut token);
    let signature = key.sign_bytes(token.as_bytes())?;
    token.push('.');
    BASE64URL_NOPAD.encode_append(&signature, &mut token);
    Ok(token)
}

/// Verifies `token` against `keys` (by `kid`); see [`verify_with`].
pub fn verify<T: DeserializeOwned>(
    keys: &[VerifyingKey],
    token: &str,
    types: &[&str],
) -> Result<(Header, T), JwtError> {
    verify_with(|kid| keys.iter().find(|k| k.kid() == kid), token, types)
}

/// Verifies `token` with the key `find` returns for its `kid`, and that its `typ` is one of
/// `types`; returns its header and claims. Checks no claim: see [`crate::ClaimChecks`].
pub fn verify_with<'k, T: DeserializeOwned>(
    find: impl FnOnce(&str) -> Option<&'k VerifyingKey>,
    token: &str,
    types: &[&str],
) -> Result<(Header, T), JwtError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(JwtError::TooLarge);
    }
    let mut parts = token.split('.');
    let (Some(h64), Some(p64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let decode = |part: &str| {
        BASE64URL_NOPAD
            .decode(part.as_bytes())
            .map_err(|_| JwtError::Malformed)
    };
    let header: Header =
        serde_json::from_slice(&decode(h64)?).map_err(|_| JwtError::InvalidHeader)?;
    let alg =
        SigningAlg::parse(&header.alg).ok_or(JwtError::UnsupportedAlgorithm(header.alg.clone()))?;
    if header.crit.is_some() {
        return Err(JwtError::CriticalExtension);
    }
    let kid = header.kid.as_deref().ok_or(JwtError::MissingKeyId)?;
    let key = find(kid).ok_or(JwtError::UnknownKey)?;
    if key.alg() != alg {
        return Err(JwtError::AlgorithmMismatch);
    }
    let typ = header.typ.as_deref().unwrap_or("");
    if !types.iter().any(|t| same_type(typ, t)) {
        return Err(JwtError::UnexpectedType(typ.to_owned()));
    }
    let signing_input_len = h64.len() + 1 + p64.len();
    let signature = decode(s64)?;
    if !key.verify_bytes(&token.as_bytes()[..signing_input_len], &signature) {
        return Err(JwtError::InvalidSignature);
    }
    let claims = serde_json::from_slice(&decode(p64)?)
        .map_err(|e| JwtError::InvalidClaims(e.to_string()))?;
    Ok((header, claims))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_compare_as_media_types() {
        assert!(same_type("at+jwt", "at+jwt"));
        assert!(same_type("application/at+JWT", "at+jwt"));
        assert!(same_type("jwt", "JWT"));
        assert!(!same_type("at+jwt", "JWT"));
        assert!(!same_type("", "JWT"));
        assert!(!same_type("application/", "JWT"));
    }
}
