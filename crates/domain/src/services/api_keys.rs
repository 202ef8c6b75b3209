//! API keys: machine credentials of a business. The full token is shown once; only the
//! SHA-256 of its 256-bit secret is stored (a fast hash suits a secret this long).

use std::sync::Arc;

use data_encoding::BASE64URL_NOPAD;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use super::{Audit, Gatehouse};
use crate::audit::RequestContext;
use crate::authz::{KeyCreator, KeyEntry};
use crate::error::{Error, Result};
use crate::grants::Grants;
use crate::ids::ApiKeyId;
use crate::model::{ApiKey, GroupScope, StoredApiKey};
use crate::principal::{ApiKeysManage, BusinessAccess, Principal};
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
        let secret = ApiKeySecret::from_bytes(self.random_bytes()?);
        let business = access.business_id();
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
        let key = ApiKey {
            id: ApiKeyId::new(now),
            business_id: business,
            name: new.name,
            grants: new.grants,
            created_by: access.actor().clone(),
            created_at: now,
            expires_at: new.expires_at,
            last_used_at: None,
            revoked_at: None,
        };
        let token = ApiKeyToken::format(key.id, &secret);
        let mut tx = self.store.begin().await?;
        tx.get_business(business)
            .await?
            .ok_or(Error::BusinessNotFound)?;
        tx.insert_api_key(&StoredApiKey {
            key: key.clone(),
            secret_hash: hash_secret(&secret.0),
        })
        .await?;
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let after = json!({ "name": key.name, "permissions": key.grants, "expires_at": key.expires_at.map(|e| e.unix_timestamp()) });
        let mut events = vec![audit.event("api_key.created", target(&key), None, Some(after))];
        events.extend(audit.sensitive_grant(
            "api_key.sensitive_permission_granted",
            target(&key),
            &sensitive,
        ));
        self.commit(tx, events).await?;
        Ok((key, token))
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
    /// Answered from this node's snapshot when it holds the key (revocations reach it through
    /// the change feed), from storage otherwise.
    pub async fn authenticate_api_key(&self, raw: &str) -> Result<Principal> {
        let token = ApiKeyToken::parse(raw).ok_or(Error::Unauthenticated)?;
        let now = self.now();
        let cached = self
            .engine
            .snapshot_for_key(token.id)
            .and_then(|s| s.api_key(token.id).cloned());
        let entry = match cached {
            Some(entry) => entry,
            None => {
                let stored = self
                    .store
                    .get_api_key(token.id)
                    .await?
                    .ok_or(Error::Unauthenticated)?;
                let key = stored.key;
                Arc::new(KeyEntry {
                    id: key.id,
                    business_id: key.business_id,
                    name: key.name,
                    secret_hash: stored.secret_hash,
                    grants: Arc::new(key.grants),
                    expires_at: key.expires_at,
                    revoked: key.revoked_at.is_some(),
                    creator: KeyCreator::of(&key.created_by),
                })
            }
        };
        let presented = hash_secret(&token.secret);
        let live = !entry.revoked && entry.expires_at.is_none_or(|e| now < e);
        if !bool::from(presented.ct_eq(&entry.secret_hash)) || !live {
            return Err(Error::Unauthenticated);
        }
        // Never more than the key's maker holds now, from this node's current model.
        let snapshot = self
            .engine
            .snapshot_or_load(self.store.as_ref(), entry.business_id)
            .await?;
        let grants = snapshot
            .key_grants(self.engine.permissions(), &entry)
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
