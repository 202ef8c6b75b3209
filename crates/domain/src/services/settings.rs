//! A business's security settings: the MFA policy, the passkey policy and their grace period.

use serde_json::json;

use super::{Audit, Gatehouse};
use crate::audit::RequestContext;
use crate::error::{Error, Result};
use crate::model::{MfaPolicy, PasskeyPolicy, SecuritySettings};
use crate::principal::{BusinessAccess, SettingsManage};

/// A partial update of the security settings.
#[derive(Debug, Clone, Default)]
pub struct SettingsPatch {
    pub mfa_policy: Option<MfaPolicy>,
    pub passkey_policy: Option<PasskeyPolicy>,
    pub mfa_grace_days: Option<u32>,
}

/// The longest MFA grace period.
pub const MAX_GRACE_DAYS: u32 = 90;

impl Gatehouse {
    pub async fn get_security_settings(
        &self,
        access: &BusinessAccess<SettingsManage>,
    ) -> Result<SecuritySettings> {
        self.store
            .get_security_settings(access.business_id())
            .await?
            .ok_or(Error::BusinessNotFound)
    }

    pub async fn update_security_settings(
        &self,
        access: &BusinessAccess<SettingsManage>,
        ctx: &RequestContext,
        patch: SettingsPatch,
    ) -> Result<SecuritySettings> {
        if patch.mfa_grace_days.is_some_and(|d| d > MAX_GRACE_DAYS) {
            return Err(Error::invalid(
                "invalid_grace_days",
                "mfa_grace_days",
                format!("must be 0 to {MAX_GRACE_DAYS}"),
            ));
        }
        let now = self.now();
        let business = access.business_id();
        let mut tx = self.store.begin().await?;
        let before = tx
            .get_security_settings(business)
            .await?
            .ok_or(Error::BusinessNotFound)?;
        let mut after = before.clone();
        if let Some(policy) = patch.mfa_policy
            && policy != before.mfa_policy
        {
            after.mfa_policy = policy;
            after.mfa_policy_changed_at = now;
        }
        if let Some(policy) = patch.passkey_policy
            && policy != before.passkey_policy
        {
            // The grace period starts again for whoever the new policy covers.
            after.passkey_policy = policy;
            after.mfa_policy_changed_at = now;
        }
        if let Some(days) = patch.mfa_grace_days {
            after.mfa_grace_days = days;
        }
        if after == before {
            return Ok(before);
        }
        tx.update_security_settings(business, &after).await?;
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let view = |s: &SecuritySettings| {
            json!({
                "mfa_policy": s.mfa_policy,
                "passkey_policy": s.passkey_policy,
                "mfa_grace_days": s.mfa_grace_days,
            })
        };
        let event = audit.event(
            "settings.security_changed",
            (
                "business",
                business.to_string(),
                "security settings".to_owned(),
            ),
            Some(view(&before)),
            Some(view(&after)),
        );
        self.commit(tx, vec![event]).await?;
        Ok(after)
    }
}
