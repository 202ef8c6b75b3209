//! OpenID Connect at the protocol level, with no I/O: signing algorithms and keys
//! ([`SigningKey`], generated and used through AWS-LC, constant-time), their public form
//! ([`Jwk`], [`Jwks`], [`VerifyingKey`]), compact JWS tokens ([`sign`], [`verify`]) that accept
//! only our asymmetric algorithms and our key ids, the checks of the registered claims
//! ([`ClaimChecks`]) and the discovery document ([`ProviderMetadata`]).
//!
//! Storage, rotation and time belong to the domain (`gatehouse-domain::oidc`); this crate is
//! handed keys and instants.

mod alg;
mod claims;
mod discovery;
mod error;
mod jwk;
mod jws;
mod keys;

pub use alg::{RsaKeySize, SigningAlg};
pub use claims::ClaimChecks;
pub use discovery::ProviderMetadata;
pub use error::{JwtError, KeyError};
pub use jwk::{Jwk, Jwks};
pub use jws::{Header, MAX_TOKEN_BYTES, TokenType, sign, verify, verify_with};
pub use keys::{SigningKey, VerifyingKey};

#[cfg(test)]
mod tests;
