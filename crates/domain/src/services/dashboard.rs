//! Reads the dashboard needs beyond the API's: a user's session count and effective
//! permissions, what a group change would do to access before it is made, and who an MFA
//! policy would hold. Each takes the proof of the permission its page requires.

use super::Gatehouse;
use crate::authz::MfaExposure;
use crate::authz::matrix::{EffectivePermissions, effective_permissions};
use crate::authz::preview::{AccessEffect, GroupChange, group_change_effect};
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::principal::{BusinessAccess, GroupsManage, SettingsManage, UsersView};

impl Gatehouse {
    /// How many live sessions the user has.
    pub async fn count_user_sessions(
        &self,
        access: &BusinessAccess<UsersView>,
        id: UserId,
    ) -> Result<usize> {
        let sessions = self.store.list_sessions(access.business_id(), id).await?;
        let now = self.now();
        let idle = self.auth_config().session_idle;
        Ok(sessions
            .iter()
            .filter(|s| now < s.expires_at && now - s.last_seen_at < idle)
            .count())
    }

    /// The user's effective permissions, from this node's current snapshot.
    pub async fn user_effective_permissions(
        &self,
        access: &BusinessAccess<UsersView>,
        id: UserId,
    ) -> Result<EffectivePermissions> {
        let snap = self
            .engine
            .snapshot_or_load(self.store.as_ref(), access.business_id())
            .await?;
        effective_permissions(&snap, self.engine.permissions(), id, self.now())
            .ok_or(Error::UserNotFound)
    }

    /// What `change` would do to access if it were saved now. Changes nothing.
    pub async fn preview_group_change(
        &self,
        access: &BusinessAccess<GroupsManage>,
        change: &GroupChange<'_>,
    ) -> Result<AccessEffect> {
        let snap = self
            .engine
            .snapshot_or_load(self.store.as_ref(), access.business_id())
            .await?;
        Ok(group_change_effect(
            &snap,
            self.engine.permissions(),
            change,
        ))
    }

    /// Who has Live access, and who has no MFA, among the business's active users.
    pub async fn mfa_exposure(
        &self,
        access: &BusinessAccess<SettingsManage>,
    ) -> Result<MfaExposure> {
        let snap = self
            .engine
            .snapshot_or_load(self.store.as_ref(), access.business_id())
            .await?;
        Ok(snap.mfa_exposure())
    }
}
