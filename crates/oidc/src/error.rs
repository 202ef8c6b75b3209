//! What can go wrong with keys and tokens. A token's error names the reason for the log;
//! callers answer every one of them the same way (the token is not accepted).

/// A key that cannot be made, read or used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("key generation failed")]
    Generation,
    #[error("the private key does not parse as PKCS#8 for {0}")]
    InvalidPrivateKey(&'static str),
    #[error("the public key (JWK) is not a valid {0} key")]
    InvalidPublicKey(&'static str),
    #[error("signing failed")]
    Signing,
    #[error("the claims do not serialize: {0}")]
    Claims(String),
}

/// Why a token was not accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    #[error("not a compact JWS (three base64url parts)")]
    Malformed,
    #[error("the token is larger than accepted")]
    TooLarge,
    #[error("the header is not a JSON object of the expected shape")]
    InvalidHeader,
    #[error("algorithm `{0}` is not accepted")]
    UnsupportedAlgorithm(String),
    #[error("the header names critical extensions")]
    CriticalExtension,
    #[error("the header has no key id")]
    MissingKeyId,
    #[error("unknown key id")]
    UnknownKey,
    #[error("the key is for another algorithm")]
    AlgorithmMismatch,
    #[error("token type `{0}` is not expected here")]
    UnexpectedType(String),
    #[error("the signature does not verify")]
    InvalidSignature,
    #[error("the claims are not of the expected shape: {0}")]
    InvalidClaims(String),
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token was issued by someone else")]
    WrongIssuer,
    #[error("the token is meant for someone else")]
    WrongAudience,
    #[error("the token lacks the claim `{0}`")]
    MissingClaim(&'static str),
}
