//! Passkeys (WebAuthn) as a relying party: the ceremonies' checks, written on ciborium (the
//! CBOR of attestation objects and COSE keys) and aws-lc-rs (signatures), the two things no
//! Gatehouse code decodes or computes itself. Attestation is not verified (Gatehouse asks for
//! none) but its format is recorded. [`authenticator`] is a software authenticator for tests.

mod cose;
mod data;
mod verify;

#[cfg(any(test, feature = "testing"))]
pub mod authenticator;
#[cfg(test)]
mod tests;

pub use cose::{ALGORITHMS, EDDSA, ES256, PublicKey, RS256};
pub use verify::{
    AssertionOutcome, AssertionParts, AssertionResponse, AttestationParts, KnownCredential,
    NewCredential, RegistrationResponse, RelyingParty,
};
