//! The vocabulary of the OAuth 2.0 / OpenID Connect flows: scopes, PKCE, and the errors the
//! specifications define (RFC 6749 §4.1.2.1 and §5.2, OIDC Core §3.1.2.6).

use data_encoding::BASE64URL_NOPAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::Error;

/// The scopes Gatehouse knows, in their canonical order.
pub const SCOPES: [&str; 5] = ["openid", "profile", "email", "offline_access", ACCESS_SCOPE];

/// The scope that adds the user's groups and effective permissions to the tokens.
pub const ACCESS_SCOPE: &str = "gatehouse:access";

/// A set of known scopes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scopes(u8);

impl Scopes {
    /// Parses a space-separated scope string; `Err` names the first unknown scope.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut bits = 0u8;
        for s in raw.split(' ').filter(|s| !s.is_empty()) {
            match SCOPES.iter().position(|k| *k == s) {
                Some(i) => bits |= 1 << i,
                None => return Err(s.chars().take(64).collect()),
            }
        }
        Ok(Self(bits))
    }

    pub fn has(self, scope: &str) -> bool {
        SCOPES
            .iter()
            .position(|k| *k == scope)
            .is_some_and(|i| self.0 & (1 << i) != 0)
    }

    pub fn is_subset_of(self, other: Scopes) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The canonical space-separated form.
    pub fn as_string(self) -> String {
        SCOPES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, s)| *s)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Whether `verifier` is a valid PKCE code verifier (RFC 7636 §4.1) whose S256 transform is
/// `challenge`. Compared in constant time.
pub fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    let shape = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if !shape {
        return false;
    }
    let computed = BASE64URL_NOPAD.encode(&Sha256::digest(verifier.as_bytes()));
    computed.len() == challenge.len() && bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

/// Whether `challenge` looks like an S256 code challenge (43 base64url characters).
pub fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// An error code of the OAuth 2.0 and OpenID Connect specifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    ServerError,
    TemporarilyUnavailable,
    LoginRequired,
    InteractionRequired,
    ConsentRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    InvalidToken,
}

impl OAuthErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::LoginRequired => "login_required",
            Self::InteractionRequired => "interaction_required",
            Self::ConsentRequired => "consent_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::InvalidToken => "invalid_token",
        }
    }
}

/// An error answered as the specifications say: its code and a description for developers.
/// `internal` keeps the cause of a `server_error` for the log, never for the client.
#[derive(Debug, Clone)]
pub struct OAuthError {
    pub code: OAuthErrorCode,
    pub description: String,
    pub internal: Option<String>,
}

impl OAuthError {
    pub fn new(code: OAuthErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            internal: None,
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidRequest, description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidGrant, description)
    }

    pub fn invalid_client() -> Self {
        Self::new(
            OAuthErrorCode::InvalidClient,
            "client authentication failed",
        )
    }
}

impl From<Error> for OAuthError {
    fn from(e: Error) -> Self {
        let temporarily = matches!(e, Error::Storage(_));
        Self {
            code: if temporarily {
                OAuthErrorCode::TemporarilyUnavailable
            } else {
                OAuthErrorCode::ServerError
            },
            description: "the request could not be completed".to_owned(),
            internal: Some(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_order() {
        let s = Scopes::parse("email openid  gatehouse:access").unwrap_or_default();
        assert_eq!(s.as_string(), "openid email gatehouse:access");
        assert!(s.has("openid") && !s.has("profile"));
        assert_eq!(Scopes::parse("openid admin"), Err("admin".to_owned()));
        assert!(Scopes::parse("openid").unwrap_or_default().is_subset_of(s));
        assert!(!s.is_subset_of(Scopes::parse("openid").unwrap_or_default()));
    }

    #[test]
    fn pkce_s256_is_checked() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(is_s256_challenge(challenge));
        assert!(pkce_s256_matches(verifier, challenge));
        assert!(!pkce_s256_matches(challenge, challenge));
        assert!(!pkce_s256_matches("short", challenge));
        assert!(!pkce_s256_matches(&format!("{verifier}!"), challenge));
        assert!(!is_s256_challenge(verifier.get(..40).unwrap_or_default()));
    }
}
