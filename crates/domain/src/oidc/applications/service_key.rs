//! The internal API key through which an application with the `client_credentials` grant
//! holds its rights: made by the API-key machinery (the same checks as `POST /api-keys`:
//! rights within the caller's, sensitive ones acknowledged; and `api_keys.manage`), named
//! after the application, never shown, revoked with it.

use serde_json::json;
use time::OffsetDateTime;

use crate::application::Application;
use crate::audit::AuditEvent;
use crate::error::{Error, Result};
use crate::grants::Grants;
use crate::ids::ApiKeyId;
use crate::principal::{ApiKeysManage, BusinessAccess};
use crate::services::{Audit, Gatehouse, NewApiKey, PreparedKey, insert_prepared_key};
use crate::store::StoreTx;
use crate::types::ApiKeyName;

impl Gatehouse {
    /// Checks and makes the service key of `app` with `grants`, as the holder of `keys`.
    pub(super) fn prepare_service_key(
        &self,
        keys: Option<&BusinessAccess<ApiKeysManage>>,
        app: &Application,
        grants: Grants,
        acknowledge_sensitive: bool,
        now: OffsetDateTime,
    ) -> Result<PreparedKey> {
        let keys = keys
            .filter(|k| k.business_id() == app.business_id)
            .ok_or_else(|| Error::PermissionDenied {
                permission: "api_keys.manage".to_owned(),
            })?;
        let new = NewApiKey {
            name: ApiKeyName::parse(app.name.as_str())?,
            expires_at: None,
            grants,
            acknowledge_sensitive,
        };
        self.prepare_api_key(keys, new, now)
    }
}

/// Writes `key` as the service key of `app`; returns the audit events of its creation.
pub(super) async fn insert_service_key(
    tx: &mut dyn StoreTx,
    audit: &Audit<'_>,
    app: &Application,
    key: &PreparedKey,
) -> Result<Vec<AuditEvent>> {
    let events = insert_prepared_key(tx, audit, key).await?;
    tx.mark_service_key(app.business_id, key.stored.key.id, app.id)
        .await?;
    Ok(events)
}

/// Revokes the service key `key` of `app`; returns the audit event.
pub(super) async fn revoke_service_key(
    tx: &mut dyn StoreTx,
    audit: &Audit<'_>,
    app: &Application,
    key: ApiKeyId,
) -> Result<AuditEvent> {
    tx.revoke_api_key(app.business_id, key, audit.at()).await?;
    Ok(audit.event(
        "api_key.revoked",
        ("api_key", key.to_string(), app.name.to_string()),
        None,
        Some(json!({ "revoked": true, "application_id": app.id })),
    ))
}
