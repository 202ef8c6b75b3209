//! The objects Gatehouse keeps, as stored and as answered by the API.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::actor::Actor;
use crate::grants::Grants;
use crate::ids::{ApiKeyId, BusinessId, GroupId, TenantId, UserId};
use crate::types::{
    ApiKeyName, BusinessName, Description, DisplayName, Email, GroupName, Slug, TenantName,
};

/// A customer organisation; the isolation boundary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Business {
    pub id: BusinessId,
    pub slug: Slug,
    pub name: BusinessName,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A part of a business (region, brand, department).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Tenant {
    pub id: TenantId,
    pub business_id: BusinessId,
    pub slug: Slug,
    pub name: TenantName,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Where a user's account stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// Invited, not yet accepted.
    Pending,
    Active,
    /// Temporarily locked after failed sign-ins.
    Locked,
    Deactivated,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Pending => "pending",
            UserStatus::Active => "active",
            UserStatus::Locked => "locked",
            UserStatus::Deactivated => "deactivated",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(UserStatus::Pending),
            "active" => Some(UserStatus::Active),
            "locked" => Some(UserStatus::Locked),
            "deactivated" => Some(UserStatus::Deactivated),
            _ => None,
        }
    }
}

/// A group as named from elsewhere (a user's group list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GroupRef {
    pub id: GroupId,
    pub name: GroupName,
}

/// A person's account inside one business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    pub business_id: BusinessId,
    pub email: Email,
    pub display_name: DisplayName,
    pub status: UserStatus,
    pub mfa_enrolled: bool,
    /// Groups the user is a member of, by name.
    pub groups: Vec<GroupRef>,
    /// When the user first became active (accepted their invitation); `None` while pending.
    #[serde(with = "time::serde::rfc3339::option")]
    pub activated_at: Option<OffsetDateTime>,
    /// Optimistic-concurrency version; send it back in `If-Match` or `version`.
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// What an administrator can do to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAction {
    Deactivate,
    Reactivate,
    ResetPassword,
    ResetMfa,
    ResendInvitation,
    RevokeInvitation,
    Unlock,
}

impl UserAction {
    pub const ALL: [UserAction; 7] = [
        UserAction::ResendInvitation,
        UserAction::RevokeInvitation,
        UserAction::ResetPassword,
        UserAction::ResetMfa,
        UserAction::Unlock,
        UserAction::Reactivate,
        UserAction::Deactivate,
    ];
}

impl User {
    /// The account's state machine: whether `action` applies to the user as they are now.
    /// The services refuse what does not apply; the dashboard offers only what does.
    pub fn allows(&self, action: UserAction) -> bool {
        match action {
            UserAction::Deactivate => self.status != UserStatus::Deactivated,
            UserAction::Reactivate => {
                self.status == UserStatus::Deactivated && !self.email.is_deprovisioned()
            }
            UserAction::ResetPassword => {
                matches!(self.status, UserStatus::Active | UserStatus::Locked)
            }
            UserAction::ResetMfa => self.mfa_enrolled && self.status != UserStatus::Deactivated,
            UserAction::ResendInvitation | UserAction::RevokeInvitation => {
                self.status == UserStatus::Pending
            }
            UserAction::Unlock => self.status == UserStatus::Locked,
        }
    }
}

/// Which tenants a group covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupScope {
    /// Every tenant of the business, including tenants created later.
    Business,
    /// Exactly these tenants of the business (never empty).
    Tenants(BTreeSet<TenantId>),
}

impl GroupScope {
    pub fn kind(&self) -> GroupKind {
        match self {
            GroupScope::Business => GroupKind::Business,
            GroupScope::Tenants(_) => GroupKind::Tenants,
        }
    }

    pub fn tenant_ids(&self) -> Vec<TenantId> {
        match self {
            GroupScope::Business => Vec::new(),
            GroupScope::Tenants(set) => set.iter().copied().collect(),
        }
    }
}

/// The type of a group, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GroupKind {
    Business,
    Tenants,
}

impl GroupKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::Business => "business",
            GroupKind::Tenants => "tenants",
        }
    }
}

/// The RBAC unit: who is in it is stored apart (memberships).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: GroupId,
    pub business_id: BusinessId,
    pub name: GroupName,
    pub description: Description,
    pub scope: GroupScope,
    pub grants: Grants,
    pub member_count: i64,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A group as the API and the CLI show it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GroupView {
    pub id: GroupId,
    pub business_id: BusinessId,
    pub name: GroupName,
    pub description: Description,
    /// `business`: every tenant, including later ones; `tenants`: exactly `tenant_ids`.
    #[serde(rename = "type")]
    pub kind: GroupKind,
    pub tenant_ids: Vec<TenantId>,
    pub permissions: Grants,
    pub member_count: i64,
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<Group> for GroupView {
    fn from(g: Group) -> Self {
        GroupView {
            id: g.id,
            business_id: g.business_id,
            kind: g.scope.kind(),
            tenant_ids: g.scope.tenant_ids(),
            name: g.name,
            description: g.description,
            permissions: g.grants,
            member_count: g.member_count,
            version: g.version,
            created_at: g.created_at,
            updated_at: g.updated_at,
        }
    }
}

/// A machine credential of a business. The secret is never kept; only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub business_id: BusinessId,
    pub name: ApiKeyName,
    /// The key's rights.
    #[serde(rename = "permissions")]
    pub grants: Grants,
    pub created_by: Actor,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

impl ApiKey {
    pub fn is_usable_at(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| now < e)
    }
}

/// An API key's stored form: the key plus the hash its secret must match.
#[derive(Debug, Clone)]
pub struct StoredApiKey {
    pub key: ApiKey,
    pub secret_hash: [u8; 32],
}

/// Who must use MFA in a business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MfaPolicy {
    /// Every user.
    All,
    /// Users holding any Live permission (the default): their Live checks need MFA.
    LiveAccess,
    Off,
}

impl MfaPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            MfaPolicy::All => "all",
            MfaPolicy::LiveAccess => "live_access",
            MfaPolicy::Off => "off",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "all" => Some(MfaPolicy::All),
            "live_access" => Some(MfaPolicy::LiveAccess),
            "off" => Some(MfaPolicy::Off),
            _ => None,
        }
    }
}

/// Who must have a phishing-resistant second factor (a passkey) in a business: without one,
/// the rights it covers are denied (`mfa_required`), as the MFA policy does for want of any
/// second factor, with the same grace period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PasskeyPolicy {
    /// No passkey required (the default); a TOTP code is as good.
    Off,
    /// Every right of every user.
    All,
    /// Live rights (environment permissions in Live).
    LiveAccess,
    /// Administration: business-scope rights (users, groups, settings, keys…).
    Administrators,
}

impl PasskeyPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            PasskeyPolicy::Off => "off",
            PasskeyPolicy::All => "all",
            PasskeyPolicy::LiveAccess => "live_access",
            PasskeyPolicy::Administrators => "administrators",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            PasskeyPolicy::Off,
            PasskeyPolicy::All,
            PasskeyPolicy::LiveAccess,
            PasskeyPolicy::Administrators,
        ]
        .into_iter()
        .find(|p| p.as_str() == raw)
    }
}

/// A business's security settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SecuritySettings {
    pub mfa_policy: MfaPolicy,
    /// Who must have a passkey (phishing-resistant), beyond the MFA policy.
    pub passkey_policy: PasskeyPolicy,
    /// Days a user who must enrol may go on without MFA, counted from when they became
    /// active or from the last policy change, whichever is later.
    pub mfa_grace_days: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub mfa_policy_changed_at: OffsetDateTime,
}

impl SecuritySettings {
    /// The settings a new business starts with: MFA for everyone with Live access, no grace,
    /// in force from `now` (its creation).
    pub fn new(now: OffsetDateTime) -> Self {
        Self {
            mfa_policy: MfaPolicy::LiveAccess,
            passkey_policy: PasskeyPolicy::Off,
            mfa_grace_days: 0,
            mfa_policy_changed_at: now,
        }
    }
}
