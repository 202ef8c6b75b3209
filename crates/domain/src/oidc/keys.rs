//! The signing keys as a service: made on first start (one active and one next key per
//! algorithm; the database decides between nodes that start at once), reloaded on every node
//! periodically and when a token names a key this node does not know, rotated (`rotation.rs`)
//! with overlap, and used from memory to sign and verify.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use gatehouse_oidc::{JwtError, SigningAlg};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use super::ring::KeyRing;
use super::store::{SigningKeyState, StoredSigningKey};
use crate::Gatehouse;
use crate::clock::to_micros;
use crate::error::{Error, Result};
use crate::principal::OperatorAccess;

/// Reloads for unknown kids start at most this often (microseconds): a stream of forged
/// kids costs one reload per interval, not one per token.
const KID_RELOAD_EVERY_MICROS: i64 = 5_000_000;

/// A key as `gatehouse signing-key list` shows it (no private part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SigningKeyInfo {
    pub kid: String,
    pub alg: SigningAlg,
    pub state: SigningKeyState,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub activated_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub retired_at: Option<OffsetDateTime>,
    /// When a retired key is deleted (and stops verifying).
    #[serde(with = "time::serde::rfc3339::option")]
    pub removable_at: Option<OffsetDateTime>,
}

impl From<&StoredSigningKey> for SigningKeyInfo {
    fn from(k: &StoredSigningKey) -> Self {
        Self {
            kid: k.kid.clone(),
            alg: k.alg,
            state: k.state(),
            created_at: k.created_at,
            activated_at: k.activated_at,
            retired_at: k.retired_at,
            removable_at: k.removable_at,
        }
    }
}

pub(super) fn signing_failed(e: impl std::fmt::Display) -> Error {
    Error::Signing(e.to_string())
}

pub(super) fn target() -> (&'static str, String, String) {
    (
        "signing_keys",
        "oidc".to_owned(),
        "OpenID Connect signing keys".to_owned(),
    )
}

impl Gatehouse {
    /// Signs `claims` as a JWT of type `typ` (`JWT` for ID tokens, `at+jwt`, `logout+jwt`)
    /// with the active key of `alg`. From memory: no database.
    pub fn sign_jwt(&self, alg: SigningAlg, typ: &str, claims: &impl Serialize) -> Result<String> {
        let ring = self.oidc.ring.load();
        let key = ring
            .signing_key(alg)
            .ok_or_else(|| signing_failed(format!("no active {alg} key is loaded")))?;
        gatehouse_oidc::sign(key, typ, claims).map_err(signing_failed)
    }

    /// Verifies a token we signed: its algorithm is ES256 or RS256, its key one we publish
    /// (and, for a retired key, not past its removal time), its `typ` one of `types`, its
    /// signature good. Returns the claims; `iss`, `aud`, `exp` and the rest are the
    /// caller's to check (`gatehouse_oidc::ClaimChecks`). Any failure is `Unauthenticated`
    /// (the reason goes to the debug log).
    pub fn verify_jwt<T: DeserializeOwned>(&self, token: &str, types: &[&str]) -> Result<T> {
        let ring = self.oidc.ring.load();
        let now = self.now();
        match gatehouse_oidc::verify_with(|kid| ring.verifying_key(kid, now), token, types) {
            Ok((_, claims)) => Ok(claims),
            Err(e) => {
                if e == JwtError::UnknownKey {
                    self.reload_keys_soon(now);
                }
                tracing::debug!(reason = %e, "token refused");
                Err(Error::Unauthenticated)
            }
        }
    }

    /// The JWKS document (every published key), from memory.
    pub fn jwks_json(&self) -> Arc<str> {
        self.oidc.ring.load().jwks()
    }

    /// Makes sure the keys exist and loads them: at start, before serving.
    pub async fn load_signing_keys(&self) -> Result<()> {
        self.refresh_signing_keys().await
    }

    /// Deletes keys past their removal time, makes any missing active or next key, and
    /// reloads this node's keys from the database.
    pub async fn refresh_signing_keys(&self) -> Result<()> {
        let now = self.now();
        let deleted = self.store().delete_removable_signing_keys(now).await?;
        if deleted > 0 {
            tracing::info!(
                deleted,
                "retired signing keys past their removal time deleted"
            );
        }
        let mut rows = self.store().list_signing_keys().await?;
        if !super::rotation::missing(&rows).is_empty() {
            self.create_missing_keys().await?;
            rows = self.store().list_signing_keys().await?;
        }
        let ring = KeyRing::build(&rows, &self.oidc.ring.load(), self.cipher(), now)?;
        self.oidc.ring.store(Arc::new(ring));
        Ok(())
    }

    /// Reloads every `refresh_interval` until `shutdown` completes.
    pub async fn run_signing_key_refresh(&self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut ticker = tokio::time::interval(self.oidc.config.refresh_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = ticker.tick() => {}
            }
            if let Err(e) = self.refresh_signing_keys().await {
                tracing::warn!(error = %e, "reloading the signing keys failed; retrying");
            }
        }
    }

    /// Every stored key, for the operator.
    pub async fn list_signing_keys(&self, _op: &OperatorAccess) -> Result<Vec<SigningKeyInfo>> {
        let rows = self.store().list_signing_keys().await?;
        Ok(rows.iter().map(SigningKeyInfo::from).collect())
    }

    /// Starts a reload in the background unless one started within the last few seconds.
    fn reload_keys_soon(&self, now: OffsetDateTime) {
        let now = to_micros(now);
        let last = self.oidc.last_kid_reload.load(Ordering::Relaxed);
        if now.saturating_sub(last) < KID_RELOAD_EVERY_MICROS
            || self
                .oidc
                .last_kid_reload
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let gh = self.clone();
        runtime.spawn(async move {
            if let Err(e) = gh.refresh_signing_keys().await {
                tracing::warn!(error = %e, "reloading the signing keys for an unknown kid failed");
            }
        });
    }
}
