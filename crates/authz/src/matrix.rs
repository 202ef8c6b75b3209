//! Views computed from a snapshot: a user's effective permissions everywhere, and who holds
//! a permission.

use serde::Serialize;
use time::OffsetDateTime;

use super::index::PermissionIndex;
use super::snapshot::{CheckQuery, MfaBlocked, Snapshot};
use crate::catalog::PermissionKey;
use crate::error::{Error, Result};
use crate::ids::{GroupId, TenantId, UserId};
use crate::model::{GroupRef, UserStatus};
use crate::types::Environment;

/// One permission and the groups it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Grant {
    #[schema(value_type = String)]
    pub permission: PermissionKey,
    pub groups: Vec<GroupRef>,
}

/// A user's grants in one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TenantGrants {
    pub tenant_id: TenantId,
    pub live: Vec<Grant>,
    pub sandbox: Vec<Grant>,
}

/// The full matrix: tenants × environments × permissions, and business permissions, each
/// with the groups that grant it. What the dashboard renders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EffectivePermissions {
    pub user_id: UserId,
    pub status: UserStatus,
    /// Grants only take effect for active users.
    pub active: bool,
    /// The MFA policy currently denies this user's Live access until they enrol (they
    /// have some, and no second factor past the grace period).
    pub mfa_required_for_live: bool,
    /// Where the MFA policy denies the rights listed here until the user enrols: a grant
    /// in a blocked scope is held but every check of it answers `mfa_required`.
    pub mfa_blocked: MfaBlocked,
    pub business: Vec<Grant>,
    pub tenants: Vec<TenantGrants>,
}

/// `keys` in bit order; each that some group's mask holds, with those groups.
fn grants_of<'a>(
    keys: impl Iterator<Item = &'a PermissionKey>,
    groups: &[(GroupRef, u64)],
) -> Vec<Grant> {
    let mut out = Vec::new();
    for (i, key) in keys.enumerate() {
        let bit = 1u64 << i;
        let from: Vec<GroupRef> = groups
            .iter()
            .filter(|(_, m)| m & bit != 0)
            .map(|(g, _)| g.clone())
            .collect();
        if !from.is_empty() {
            out.push(Grant {
                permission: key.clone(),
                groups: from,
            });
        }
    }
    out
}

/// The effective permissions of `user`; `None` if the snapshot does not know them.
pub fn effective_permissions(
    snap: &Snapshot,
    perms: &PermissionIndex,
    user: UserId,
    now: OffsetDateTime,
) -> Option<EffectivePermissions> {
    let (status, groups) = snap.user_groups(user, now)?;
    let env_keys = || perms.environment_keys(u64::MAX);
    let business_groups: Vec<(GroupRef, u64)> = groups
        .iter()
        .map(|g| {
            (
                GroupRef {
                    id: g.id,
                    name: g.name.clone(),
                },
                g.masks.business,
            )
        })
        .collect();
    let business = grants_of(perms.business_keys(u64::MAX), &business_groups);
    let tenants = snap
        .tenants()
        .iter()
        .enumerate()
        .map(|(i, tenant)| {
            let covering: Vec<&_> = groups.iter().filter(|g| Snapshot::covers(g, i)).collect();
            let per_env = |env: Environment| {
                let masks: Vec<(GroupRef, u64)> = covering
                    .iter()
                    .map(|g| {
                        let m = match env {
                            Environment::Live => g.masks.live,
                            Environment::Sandbox => g.masks.sandbox,
                        };
                        (
                            GroupRef {
                                id: g.id,
                                name: g.name.clone(),
                            },
                            m,
                        )
                    })
                    .collect();
                grants_of(env_keys(), &masks)
            };
            TenantGrants {
                tenant_id: *tenant,
                live: per_env(Environment::Live),
                sandbox: per_env(Environment::Sandbox),
            }
        })
        .collect();
    Some(EffectivePermissions {
        user_id: user,
        status,
        active: status == UserStatus::Active,
        mfa_required_for_live: snap.mfa_blocks_live(user, now),
        mfa_blocked: snap.mfa_blocked(user, now).unwrap_or_default(),
        business,
        tenants,
    })
}

/// The question of [`who_can`]: environment permissions need tenant and environment.
#[derive(Debug, Clone, Copy)]
pub struct WhoCan<'a> {
    pub permission: &'a str,
    pub tenant: Option<TenantId>,
    pub environment: Option<Environment>,
}

/// Users who may use the permission, ordered by id, after `after`, at most `limit`; and
/// whether there are more.
pub fn who_can(
    snap: &Snapshot,
    perms: &PermissionIndex,
    question: WhoCan<'_>,
    now: OffsetDateTime,
    after: Option<UserId>,
    limit: usize,
) -> Result<(Vec<UserId>, bool)> {
    let WhoCan {
        permission,
        tenant,
        environment,
    } = question;
    if perms.bit(permission).is_none() {
        return Err(Error::UnknownPermission(
            permission.chars().take(64).collect(),
        ));
    }
    if let Some(t) = tenant
        && !snap.has_tenant(t)
    {
        return Err(Error::TenantNotFound);
    }
    let mut ids = Vec::new();
    for user in snap.user_ids() {
        if after.is_some_and(|a| user <= a) {
            continue;
        }
        let q = CheckQuery {
            user,
            permission,
            tenant,
            environment,
        };
        if snap.check(perms, &q, now)?.allowed {
            ids.push(user);
        }
    }
    ids.sort_unstable();
    let more = ids.len() > limit;
    ids.truncate(limit);
    Ok((ids, more))
}

/// Group ids → refs with names from the snapshot (for decisions' `granted_by`).
pub fn group_refs(snap: &Snapshot, ids: &[GroupId]) -> Vec<GroupRef> {
    ids.iter()
        .filter_map(|id| {
            snap.group_name(*id).map(|name| GroupRef {
                id: *id,
                name: name.clone(),
            })
        })
        .collect()
}
