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
        let snap = self.access_snapshot(access).await?;
        effective_permissions(&snap, self.engine.permissions(), id, self.now())
            .ok_or(Error::UserNotFound)
    }

    /// What `change` would do to access if it were saved now. Changes nothing.
    pub async fn preview_group_change(
        &self,
        access: &BusinessAccess<GroupsManage>,
        change: &GroupChange<'_>,
    ) -> Result<AccessEffect> {
        let snap = self.access_snapshot(access).await?;
        Ok(group_change_effect(
            &snap,
            self.engine.permissions(),
            change,
            self.now(),
        ))
    }

    /// Who has Live access, and who has no MFA, among the business's active users.
    pub async fn mfa_exposure(
        &self,
        access: &BusinessAccess<SettingsManage>,
    ) -> Result<MfaExposure> {
        let snap = self.access_snapshot(access).await?;
        Ok(snap.mfa_exposure(self.now()))
    }
}

/// Where a pending user's invitation stands, as the audit trail records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvitationState {
    /// Sent at the first time, usable until the second (which may have passed).
    Sent(time::OffsetDateTime, Option<time::OffsetDateTime>),
    /// Withdrawn at this time: the link no longer works.
    Revoked(time::OffsetDateTime),
}

impl Gatehouse {
    /// The invitation state of each pending user among `users` (others are left out): the
    /// newest of its invitation events — a mail sent (with its expiry) or a revocation —
    /// read from the audit trail: one small indexed read per pending user.
    pub async fn invitation_states(
        &self,
        access: &BusinessAccess<UsersView>,
        users: &[&crate::model::User],
    ) -> Result<Vec<(UserId, InvitationState)>> {
        let mut out = Vec::new();
        for u in users
            .iter()
            .filter(|u| u.status == crate::model::UserStatus::Pending)
        {
            // Events about one pending user are few (created, invitations, edits): the newest
            // fifty hold the newest invitation event.
            let about = crate::audit::AuditFilter {
                target_id: Some(u.id.to_string()),
                action_prefix: Some("user".to_owned()),
                ..crate::audit::AuditFilter::default()
            };
            let events = self
                .store
                .list_audit_events(access.business_id(), &about, 50)
                .await?;
            let Some(e) = events.iter().find(|e| {
                matches!(
                    e.action.as_str(),
                    "user.created" | "user.invitation_sent" | "user.invitation_revoked"
                )
            }) else {
                continue;
            };
            let expiry = |v: Option<&serde_json::Value>| {
                v.and_then(|v| v.get("expires_at"))
                    .and_then(serde_json::Value::as_i64)
                    .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
            };
            let state = match e.action.as_str() {
                "user.invitation_revoked" => InvitationState::Revoked(e.occurred_at),
                "user.created" => InvitationState::Sent(
                    e.occurred_at,
                    expiry(e.after.as_ref().and_then(|a| a.get("invitation"))),
                ),
                _ => InvitationState::Sent(e.occurred_at, expiry(e.after.as_ref())),
            };
            out.push((u.id, state));
        }
        Ok(out)
    }
}
