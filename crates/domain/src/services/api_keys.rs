//! API keys: machine credentials of a business. The full token is shown once; only the
//! SHA-256 of its 256-bit secret is stored (a fast hash suits a secret this long).

use std::sync::Arc;

use data_encoding::BASE64URL_NOPAD;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use super::{Audit, Gatehouse};
use crate::audit::{AuditEvent, RequestContext};
use crate::authz::{KeyCreator, KeyEntry};
use crate::error::{Error, Result};
use crate::grants::{Grants, ScopedPermission};
use crate::ids::ApiKeyId;
use crate::model::{ApiKey, GroupScope, StoredApiKey};
use crate::principal::{ApiKeysManage, BusinessAccess, Principal};
use crate::store::StoreTx;
use crate::types::ApiKeyName;

/// The fixed prefix of every API key, so secret scanners can find leaked ones.
pub const TOKEN_PREFIX: &str = "gth_";

/// How often the last-used time is written, at most.
const TOUCH_INTERVAL: time::Duration = time::Duration::minutes(1);

/// 256 random bits, made at the edge from the operating system's CSPRNG.
pub struct ApiKeySecret([u8; 32]);

impl ApiKeySecret {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

impl std::fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKeySecret(<redacted>)")
    }
}

/// A presented API key: `gth_<key id, 32 hex>_<secret, 43 base64url>`.
pub struct ApiKeyToken {
    id: ApiKeyId,
    secret: [u8; 32],
}

impl std::fmt::Debug for ApiKeyToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKeyToken({}, <redacted>)", self.id)
    }
}

impl ApiKeyToken {
    pub fn parse(raw: &str) -> Option<Self> {
        let rest = raw.strip_prefix(TOKEN_PREFIX)?;
        let (id, secret) = (rest.get(..32)?, rest.get(32..)?.strip_prefix('_')?);
        if !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let id = ApiKeyId::from_uuid(uuid::Uuid::try_parse(id).ok()?);
        let secret: [u8; 32] = BASE64URL_NOPAD
            .decode(secret.as_bytes())
            .ok()?
            .try_into()
            .ok()?;
        Some(Self { id, secret })
    }

    fn format(id: ApiKeyId, secret: &ApiKeySecret) -> String {
        format!(
            "{TOKEN_PREFIX}{}_{}",
            id.as_uuid().simple(),
            BASE64URL_NOPAD.encode(&secret.0)
        )
    }
}

pub fn hash_secret(secret: &[u8]) -> [u8; 32] {
    Sha256::digest(secret).into()
}

/// An API key to create.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub name: ApiKeyName,
    pub expires_at: Option<OffsetDateTime>,
    pub grants: Grants,
    /// The caller confirms granting sensitive permissions.
    pub acknowledge_sensitive: bool,
}

fn target(k: &ApiKey) -> (&'static str, String, String) {
    ("api_key", k.id.to_string(), k.name.to_string())
}

/// Writes a prepared key in `tx`; returns the audit events of its creation.
pub(crate) async fn insert_prepared_key(
    tx: &mut dyn StoreTx,
    audit: &Audit<'_>,
    prepared: &PreparedKey,
) -> Result<Vec<AuditEvent>> {
    tx.insert_api_key(&prepared.stored).await?;
    let key = &prepared.stored.key;
    let after = json!({ "name": key.name, "permissions": key.grants, "expires_at": key.expires_at.map(|e| e.unix_timestamp()) });
    let mut events = vec![audit.event("api_key.created", target(key), None, Some(after))];
    events.extend(audit.sensitive_grant(
        "api_key.sensitive_permission_granted",
        target(key),
        &prepared.sensitive,
    ));
    Ok(events)
}

/// A key ready to be written: checked against the catalog, the caller's rights and the
/// clock, with its token (shown once) and the sensitive permissions it grants.
pub(crate) struct PreparedKey {
    pub(crate) stored: StoredApiKey,
    pub(crate) token: String,
    sensitive: Vec<ScopedPermission>,
}

impl Gatehouse {
    /// Creates a key whose rights are no larger than the creator's. Returns the key and its
    /// token, which is never shown again.
    pub async fn create_api_key(
        &self,
        access: &BusinessAccess<ApiKeysManage>,
        ctx: &RequestContext,
        new: NewApiKey,
    ) -> Result<(ApiKey, String)> {
        let now = self.now();
        let prepared = self.prepare_api_key(access, new, now)?;
        let mut tx = self.store.begin().await?;
        tx.get_business(access.business_id())
            .await?
            .ok_or(Error::BusinessNotFound)?;
        let audit = Audit::new(now, Some(access.business_id()), access.actor(), ctx);
        let events = insert_prepared_key(tx.as_mut(), &audit, &prepared).await?;
        self.commit(tx, events).await?;
        Ok((prepared.stored.key, prepared.token))
    }

    /// Checks a key to create (its rights against the catalog and what the caller holds,
    /// sensitive ones acknowledged, its expiry) and makes its secret.
    pub(crate) fn prepare_api_key(
        &self,
        access: &BusinessAccess<ApiKeysManage>,
        new: NewApiKey,
        now: OffsetDateTime,
    ) -> Result<PreparedKey> {
        self.catalog.validate(&new.grants)?;
        access.ensure_holds(&new.grants, &GroupScope::Business)?;
        let sensitive = self.check_sensitive(&new.grants, new.acknowledge_sensitive)?;
        if new.expires_at.is_some_and(|e| e <= now) {
            return Err(Error::invalid(
                "invalid_expiry",
                "expires_at",
                "must be in the future",
            ));
        }
        let secret = ApiKeySecret::from_bytes(self.random_bytes()?);
        let key = ApiKey {
            id: ApiKeyId::new(now),
            business_id: access.business_id(),
            name: new.name,
            grants: new.grants,
            created_by: access.actor().clone(),
            created_at: now,
            expires_at: new.expires_at,
            last_used_at: None,
            revoked_at: None,
        };
        Ok(PreparedKey {
            token: ApiKeyToken::format(key.id, &secret),
            stored: StoredApiKey {
                key,
                secret_hash: hash_secret(&secret.0),
            },
            sensitive,
        })
    }

    pub async fn revoke_api_key(
        &self,
        access: &BusinessAccess<ApiKeysManage>,
        ctx: &RequestContext,
        id: ApiKeyId,
    ) -> Result<ApiKey> {
        let now = self.now();
        let business = access.business_id();
        let mut tx = self.store.begin().await?;
        let key = tx
            .get_api_key(business, id)
            .await?
            .ok_or(Error::ApiKeyNotFound)?;
        if key.revoked_at.is_some() {
            return Err(Error::ApiKeyAlreadyRevoked);
        }
        tx.revoke_api_key(business, id, now).await?;
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        self.commit(
            tx,
            vec![audit.event(
                "api_key.revoked",
                target(&key),
                None,
                Some(json!({ "revoked": true })),
            )],
        )
        .await?;
        Ok(ApiKey {
            revoked_at: Some(now),
            ..key
        })
    }

    pub async fn list_api_keys(
        &self,
        access: &BusinessAccess<ApiKeysManage>,
    ) -> Result<Vec<ApiKey>> {
        self.store.list_api_keys(access.business_id()).await
    }

    /// The principal of a presented API key; `Unauthenticated` for anything not a live key.
    pub async fn authenticate_api_key(&self, raw: &str) -> Result<Principal> {
        let token = ApiKeyToken::parse(raw).ok_or(Error::Unauthenticated)?;
        let entry = self
            .key_entry(token.id)
            .await?
            .ok_or(Error::Unauthenticated)?;
        let presented = hash_secret(&token.secret);
        if !bool::from(presented.ct_eq(&entry.secret_hash)) {
            return Err(Error::Unauthenticated);
        }
        self.principal_of_key(&entry).await
    }

    /// A key as the engine sees it: from this node's snapshot when it holds the key
    /// (revocations reach it through the change feed), from storage otherwise.
    pub(crate) async fn key_entry(&self, id: ApiKeyId) -> Result<Option<Arc<KeyEntry>>> {
        let cached = self
            .engine
            .snapshot_for_key(id)
            .and_then(|s| s.api_key(id).cloned());
        if cached.is_some() {
            return Ok(cached);
        }
        let Some(stored) = self.store.get_api_key(id).await? else {
            return Ok(None);
        };
        let key = stored.key;
        Ok(Some(Arc::new(KeyEntry {
            id: key.id,
            business_id: key.business_id,
            name: key.name,
            secret_hash: stored.secret_hash,
            grants: Arc::new(key.grants),
            expires_at: key.expires_at,
            revoked: key.revoked_at.is_some(),
            creator: KeyCreator::of(&key.created_by),
        })))
    }

    /// The principal acting with a key whose holder has proved it: `Unauthenticated` when
    /// the key is revoked or expired, or its maker can no longer act. Records its use.
    pub(crate) async fn principal_of_key(&self, entry: &KeyEntry) -> Result<Principal> {
        let now = self.now();
        if entry.revoked || entry.expires_at.is_some_and(|e| now >= e) {
            return Err(Error::Unauthenticated);
        }
        // Never more than the key's maker holds now, from this node's current model.
        let snapshot = self
            .engine
            .snapshot_or_load(self.store.as_ref(), entry.business_id)
            .await?;
        let grants = snapshot
            .key_grants(self.engine.permissions(), entry, now)
            .ok_or(Error::Unauthenticated)?;
        if self.should_touch(entry.id, now) {
            self.store.touch_api_key(entry.id, now).await?;
        }
        Ok(Principal::ApiKey {
            id: entry.id,
            business_id: entry.business_id,
            name: entry.name.clone(),
            grants,
        })
    }

    /// Whether to record a key's use now: at most once a minute per key and node.
    fn should_touch(&self, id: ApiKeyId, now: OffsetDateTime) -> bool {
        let mut last = self.key_touches.lock().unwrap_or_else(|e| e.into_inner());
        match last.get(&id) {
            Some(t) if now - *t < TOUCH_INTERVAL => false,
            _ => {
                last.insert(id, now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_round_trip() {
        let id = ApiKeyId::new(OffsetDateTime::UNIX_EPOCH);
        let secret = ApiKeySecret::from_bytes([7; 32]);
        let token = ApiKeyToken::format(id, &secret);
        assert!(token.starts_with("gth_"));
        let parsed = ApiKeyToken::parse(&token).unwrap();
        assert_eq!(parsed.id, id);
        assert_eq!(parsed.secret, [7; 32]);
        assert!(!format!("{parsed:?}").contains("Bwc"));
    }

    #[test]
    fn garbage_tokens_do_not_parse() {
        for bad in [
            "",
            "gth_",
            "gth_zz",
            "Bearer x",
            "gth_0123456789abcdef0123456789abcdef_short",
            "gth_0123456789abcdef0123456789abcdeg_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert!(ApiKeyToken::parse(bad).is_none(), "{bad}");
        }
    }
}
