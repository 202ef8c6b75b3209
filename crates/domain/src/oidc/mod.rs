//! Gatehouse as an OpenID Provider: each business is an issuer (`{public_url}/b/{slug}`).
//! `protocol` holds the vocabulary (scopes, PKCE, the specifications' errors), `grants` what
//! the flows keep, `authorize` the authorization endpoint, `tokens` the token endpoint,
//! `claims` what the tokens say and the resource side (userinfo, introspection,
//! revocation), `logout` the end-session endpoint, `backchannel` the logouts owed to
//! applications, `applications` the OAuth clients.
//!
//! It also holds what the flows share: the signing keys (`keys`: stored sealed in the
//! database, held parsed in memory, rotated with overlap), the issuers and their discovery
//! documents (`issuers`), and the settings. Protocol-level pieces (JWS, JWK, discovery
//! document) are in `gatehouse-oidc`.

pub mod applications;
pub mod authorize;
pub mod backchannel;
pub mod claims;
mod client;
pub mod grants;
mod live;
pub mod logout;
pub mod protocol;
pub mod request;
pub mod tokens;

pub use authorize::AuthorizeStep;
pub use client::ClientCredentials;
pub use grants::{OAuthReads, OAuthWrites};
pub use logout::{LogoutParams, LogoutRequest};
pub use protocol::{OAuthError, OAuthErrorCode, Scopes};
pub use request::{AuthorizeParams, AuthorizeRequest, ClientProblem};
pub use tokens::{TokenParams, TokenResponse};

mod issuers;
mod keys;
mod ring;
mod rotation;
pub mod store;

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use arc_swap::ArcSwap;
pub use gatehouse_oidc::{ClaimChecks, ProviderMetadata, RsaKeySize, SigningAlg, TokenType};
use time::Duration;

pub use issuers::OidcIssuer;
pub use keys::SigningKeyInfo;
pub use store::{SigningKeyState, SigningKeyStore, SigningKeyWrites, StoredSigningKey};

/// The settings of the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcConfig {
    /// The longest lifetime of any token signed with these keys (ID, access, logout
    /// tokens). A retired key stays published and verifying this long after its retirement
    /// (plus two refresh intervals and a minute of clock skew), then is deleted.
    /// Applications' token lifetimes must not exceed it.
    pub max_token_lifetime: Duration,
    /// How often each node reloads the keys from the database (another node's rotation
    /// reaches it within this), and deletes keys past their removal time.
    pub refresh_interval: std::time::Duration,
    /// How long clients may cache the JWKS and discovery documents (`Cache-Control`). A
    /// next key must have been published at least this long before a rotation activates it
    /// (unless forced), so every client's cached JWKS already holds it.
    pub jwks_max_age: Duration,
    /// The modulus size of new RS256 keys.
    pub rsa_key_size: RsaKeySize,
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            max_token_lifetime: Duration::hours(24),
            refresh_interval: std::time::Duration::from_secs(30),
            jwks_max_age: Duration::minutes(5),
            rsa_key_size: RsaKeySize::Bits2048,
        }
    }
}

/// Clock skew forgiven between nodes and clients.
pub const CLOCK_SKEW: Duration = Duration::minutes(1);

impl OidcConfig {
    /// How long a retired key stays: tokens signed by it (by this node, or by another that
    /// has not reloaded yet) have all expired by then.
    pub fn retention(&self) -> Duration {
        let refresh = Duration::try_from(self.refresh_interval).unwrap_or(Duration::minutes(1));
        self.max_token_lifetime + refresh * 2 + CLOCK_SKEW
    }
}

/// The provider's state on this node.
#[derive(Debug)]
pub(crate) struct OidcRuntime {
    pub(crate) config: OidcConfig,
    /// The keys, swapped whole on each reload; read without a lock on every sign and verify.
    pub(crate) ring: ArcSwap<ring::KeyRing>,
    /// When a reload for an unknown kid last started (microseconds), to rate-limit them.
    pub(crate) last_kid_reload: AtomicI64,
    pub(crate) issuers: issuers::Issuers,
}

impl OidcRuntime {
    pub(crate) fn new(config: OidcConfig) -> Self {
        Self {
            config,
            ring: ArcSwap::from_pointee(ring::KeyRing::default()),
            last_kid_reload: AtomicI64::new(i64::MIN),
            issuers: issuers::Issuers::default(),
        }
    }
}

impl crate::Gatehouse {
    /// Sets the provider up (the defaults otherwise). Call before loading the keys.
    pub fn with_oidc(mut self, config: OidcConfig) -> Self {
        self.oidc = Arc::new(OidcRuntime::new(config));
        self
    }

    pub fn oidc_config(&self) -> &OidcConfig {
        &self.oidc.config
    }
}
