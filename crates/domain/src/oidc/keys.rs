//! The signing keys as a service: made on first start (one active and one next key per
//! algorithm; the database decides between nodes that start at once), reloaded on every node
//! periodically and when a token names a key this node does not know, rotated by the
//! operator with overlap, and used from memory to sign and verify.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use gatehouse_oidc::{JwtError, SigningAlg, SigningKey};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use time::OffsetDateTime;

use super::ring::KeyRing;
use super::store::{SigningKeyState, StoredSigningKey};
use crate::Gatehouse;
use crate::audit::{AuditEvent, RequestContext};
use crate::clock::to_micros;
use crate::error::{Error, Result};
use crate::principal::{Actor, OperatorAccess};
use crate::services::Audit;

/// Reloads for unknown kids start at most this often (microseconds): a stream of forged
/// kids costs one reload per interval, not one per token.
const KID_RELOAD_EVERY_MICROS: i64 = 5_000_000;
/// Attempts at a rotation that meets another one under way.
const ROTATE_ATTEMPTS: usize = 3;

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

fn signing_failed(e: impl std::fmt::Display) -> Error {
    Error::Signing(e.to_string())
}

fn target() -> (&'static str, String, String) {
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
        if !missing(&rows).is_empty() {
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

    /// Rotates the keys of every algorithm: the next key becomes active, the active one
    /// retired (it verifies until its tokens have expired), and a new next key is made.
    /// Refused while a next key has been published for less than `jwks_max_age` (clients'
    /// cached JWKS may lack it), unless `force`. Audited as `signing_key.rotated`.
    pub async fn rotate_signing_keys(
        &self,
        op: &OperatorAccess,
        ctx: &RequestContext,
        force: bool,
    ) -> Result<Vec<SigningKeyInfo>> {
        self.refresh_signing_keys().await?;
        for _ in 0..ROTATE_ATTEMPTS {
            if self.try_rotate(op, ctx, force).await? {
                self.refresh_signing_keys().await?;
                return self.list_signing_keys(op).await;
            }
        }
        Err(Error::Storage(
            "the signing keys kept changing during the rotation; try again".to_owned(),
        ))
    }

    /// One rotation in one transaction; false when another change got in the way.
    async fn try_rotate(
        &self,
        op: &OperatorAccess,
        ctx: &RequestContext,
        force: bool,
    ) -> Result<bool> {
        let now = self.now();
        let fresh = self.new_keys(&SigningAlg::ALL, now).await?;
        let mut tx = self.store().begin().await?;
        let rows = tx.list_signing_keys().await?;
        let mut changes = serde_json::Map::new();
        for (alg, new_next) in SigningAlg::ALL.into_iter().zip(&fresh) {
            let in_state = |s| rows.iter().find(|r| r.alg == alg && r.state() == s);
            let (Some(active), Some(next)) = (
                in_state(SigningKeyState::Active),
                in_state(SigningKeyState::Next),
            ) else {
                return Ok(false);
            };
            let published_for = now - next.created_at;
            if !force && published_for < self.oidc.config.jwks_max_age {
                return Err(Error::SigningKeyTooNew {
                    retry_after_secs: (self.oidc.config.jwks_max_age - published_for)
                        .whole_seconds()
                        .max(1)
                        .unsigned_abs(),
                });
            }
            let removable_at = now + self.oidc.config.retention();
            if !tx
                .retire_signing_key(&active.kid, now, removable_at)
                .await?
                || !tx.activate_signing_key(&next.kid, now).await?
                || !tx.insert_signing_key(new_next).await?
            {
                return Ok(false);
            }
            changes.insert(
                alg.as_str().to_owned(),
                json!({
                    "retired": active.kid, "activated": next.kid, "next": new_next.kid,
                    "retired_key_removable_at": removable_at.unix_timestamp(),
                }),
            );
        }
        let actor = op.actor();
        let audit = Audit::new(now, None, &actor, ctx);
        let mut after = serde_json::Value::Object(changes);
        after["forced"] = json!(force);
        let event = audit.event("signing_key.rotated", target(), None, Some(after));
        self.commit(tx, vec![event]).await?;
        tracing::info!(forced = force, "signing keys rotated");
        Ok(true)
    }

    /// Makes the active and next keys that are missing. Nodes starting at once may all try;
    /// the database keeps one of each, the others' inserts do nothing.
    async fn create_missing_keys(&self) -> Result<()> {
        let now = self.now();
        let rows = self.store().list_signing_keys().await?;
        let wanted = missing(&rows);
        let algs: Vec<SigningAlg> = wanted.iter().map(|(alg, _)| *alg).collect();
        let mut fresh = self.new_keys(&algs, now).await?;
        let mut tx = self.store().begin().await?;
        let mut made = Vec::new();
        for ((alg, state), key) in wanted.into_iter().zip(fresh.iter_mut()) {
            if state == SigningKeyState::Active {
                key.activated_at = Some(now);
            }
            if tx.insert_signing_key(key).await? {
                made.push(json!({ "alg": alg, "kid": key.kid, "state": state.as_str() }));
            }
        }
        if made.is_empty() {
            // Another node made them first; nothing to record (dropping rolls back).
            return Ok(());
        }
        let actor = Actor::system();
        let ctx = RequestContext::default();
        let audit = Audit::new(now, None, &actor, &ctx);
        let event: AuditEvent = audit.event(
            "signing_key.created",
            target(),
            None,
            Some(json!({ "keys": made })),
        );
        self.commit(tx, vec![event]).await?;
        tracing::info!(keys = made.len(), "signing keys created");
        Ok(())
    }

    /// New next keys of `algs`, sealed for storage. Generated off the async threads (an
    /// RSA key takes a while).
    async fn new_keys(
        &self,
        algs: &[SigningAlg],
        now: OffsetDateTime,
    ) -> Result<Vec<StoredSigningKey>> {
        let size = self.oidc.config.rsa_key_size;
        let algs = algs.to_vec();
        let keys = tokio::task::spawn_blocking(move || {
            algs.into_iter()
                .map(|alg| SigningKey::generate(alg, size))
                .collect::<std::result::Result<Vec<_>, _>>()
        })
        .await
        .map_err(signing_failed)?
        .map_err(signing_failed)?;
        keys.iter()
            .map(|key| {
                let sealed = self.cipher().seal(
                    self.entropy(),
                    key.pkcs8_der(),
                    &StoredSigningKey::seal_context(key.kid()),
                )?;
                Ok(StoredSigningKey {
                    kid: key.kid().to_owned(),
                    alg: key.alg(),
                    sealed_private_key: sealed,
                    public_jwk: key.public_jwk().to_json(),
                    created_at: now,
                    activated_at: None,
                    retired_at: None,
                    removable_at: None,
                })
            })
            .collect()
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

/// The (algorithm, state) pairs that have no key among `rows`: active and next, per
/// algorithm.
fn missing(rows: &[StoredSigningKey]) -> Vec<(SigningAlg, SigningKeyState)> {
    let mut out = Vec::new();
    for alg in SigningAlg::ALL {
        for state in [SigningKeyState::Active, SigningKeyState::Next] {
            if !rows.iter().any(|r| r.alg == alg && r.state() == state) {
                out.push((alg, state));
            }
        }
    }
    out
}
