//! A business's provisioning settings and its log of recent SCIM requests.

use serde_json::json;

use super::store::{ScimRequest, ScimSettings};
use crate::audit::RequestContext;
use crate::error::Result;
use crate::ids::BusinessId;
use crate::principal::{ApiKeysManage, BusinessAccess, SettingsManage};
use crate::services::{Audit, Gatehouse};

/// How many requests the Provisioning page shows.
pub const SHOWN_REQUESTS: u32 = 50;

impl Gatehouse {
    pub async fn scim_settings<P>(&self, access: &BusinessAccess<P>) -> Result<ScimSettings> {
        self.store().get_scim_settings(access.business_id()).await
    }

    /// Changes whether provisioned users are invited at once. Requires `settings.manage`.
    pub async fn set_scim_settings(
        &self,
        access: &BusinessAccess<SettingsManage>,
        ctx: &RequestContext,
        settings: ScimSettings,
    ) -> Result<ScimSettings> {
        let business = access.business_id();
        let before = self.store().get_scim_settings(business).await?;
        if before == settings {
            return Ok(before);
        }
        let mut tx = self.store().begin().await?;
        tx.put_scim_settings(business, settings).await?;
        let audit = Audit::new(self.now(), Some(business), access.actor(), ctx);
        let event = audit.event(
            "scim.settings_updated",
            ("business", business.to_string(), String::new()),
            Some(json!({ "invite": before.invite })),
            Some(json!({ "invite": settings.invite })),
        );
        self.commit(tx, vec![event]).await?;
        Ok(settings)
    }

    /// The latest SCIM requests of the business, newest first (credentials are managed
    /// with `api_keys.manage`, so their use is shown with it).
    pub async fn scim_requests(
        &self,
        access: &BusinessAccess<ApiKeysManage>,
    ) -> Result<Vec<ScimRequest>> {
        self.store()
            .list_scim_requests(access.business_id(), SHOWN_REQUESTS)
            .await
    }

    /// Logs a request for the Provisioning page. The business comes from the credential
    /// that made it; a failure to log does not fail the request.
    pub async fn record_scim_request(&self, business: BusinessId, request: &ScimRequest) {
        if let Err(e) = self.store().record_scim_request(business, request).await {
            tracing::warn!(error = %e, "could not log a SCIM request");
        }
    }
}
