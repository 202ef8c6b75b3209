//! Rotating the signing keys, and making them at first start: the next key becomes active,
//! the active one retired, a new next key is published; all of it in one transaction that
//! names the state it expects, so nodes or operators acting at once rotate once.

use gatehouse_oidc::{SigningAlg, SigningKey};
use serde_json::json;
use time::OffsetDateTime;

use super::keys::{SigningKeyInfo, signing_failed, target};
use super::store::{SigningKeyState, StoredSigningKey};
use crate::Gatehouse;
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{Error, Result};
use crate::principal::{Actor, OperatorAccess};
use crate::services::Audit;

/// Attempts at a rotation that meets another one under way.
const ROTATE_ATTEMPTS: usize = 3;

impl Gatehouse {
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
        // Checked before the (slow) key generation, and again inside the transaction.
        self.check_published_long_enough(&self.store().list_signing_keys().await?, now, force)?;
        let fresh = self.new_keys(&SigningAlg::ALL, now).await?;
        let mut tx = self.store().begin().await?;
        let rows = tx.list_signing_keys().await?;
        self.check_published_long_enough(&rows, now, force)?;
        let mut changes = serde_json::Map::new();
        for (alg, new_next) in SigningAlg::ALL.into_iter().zip(&fresh) {
            let in_state = |s| rows.iter().find(|r| r.alg == alg && r.state() == s);
            let (Some(active), Some(next)) = (
                in_state(SigningKeyState::Active),
                in_state(SigningKeyState::Next),
            ) else {
                return Ok(false);
            };
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

    /// Refuses (unless `force`) while a next key has been published for less than
    /// `jwks_max_age`.
    fn check_published_long_enough(
        &self,
        rows: &[StoredSigningKey],
        now: OffsetDateTime,
        force: bool,
    ) -> Result<()> {
        let wait = self.oidc.config.jwks_max_age;
        let youngest = rows
            .iter()
            .filter(|r| r.state() == SigningKeyState::Next)
            .map(|r| now - r.created_at)
            .min();
        match youngest {
            Some(age) if !force && age < wait => Err(Error::SigningKeyTooNew {
                retry_after_secs: (wait - age).whole_seconds().max(1).unsigned_abs(),
            }),
            _ => Ok(()),
        }
    }

    /// Makes the active and next keys that are missing. Nodes starting at once may all try;
    /// the database keeps one of each, the others' inserts do nothing.
    pub(super) async fn create_missing_keys(&self) -> Result<()> {
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
}

/// The (algorithm, state) pairs that have no key among `rows`: active and next, per
/// algorithm.
pub(super) fn missing(rows: &[StoredSigningKey]) -> Vec<(SigningAlg, SigningKeyState)> {
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
