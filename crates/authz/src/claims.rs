//! The access claim of a token (the `gatehouse:access` scope): a user's groups and what
//! they may do, compact enough to travel in a JWT. Built from the same matrix the dashboard
//! shows, with the rights the MFA policy blocks left out (a check of them would answer
//! `mfa_required`). Tenants with identical rights share one entry.

use std::collections::BTreeMap;

use serde::Serialize;
use time::OffsetDateTime;

use super::index::PermissionIndex;
use super::matrix::{Grant, effective_permissions};
use super::snapshot::Snapshot;
use crate::ids::{TenantId, UserId};

/// Tenants that share one set of rights in one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantRights {
    pub tenants: Vec<TenantId>,
    pub permissions: Vec<String>,
}

/// What a user may do, as of the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessClaim {
    /// The names of the user's groups.
    pub groups: Vec<String>,
    /// Business-wide permissions.
    pub business: Vec<String>,
    pub live: Vec<TenantRights>,
    pub sandbox: Vec<TenantRights>,
}

fn keys(grants: &[Grant]) -> Vec<String> {
    grants.iter().map(|g| g.permission.to_string()).collect()
}

/// Groups tenants by identical permission lists, leaving out tenants without any.
fn by_rights(rows: impl Iterator<Item = (TenantId, Vec<String>)>) -> Vec<TenantRights> {
    let mut groups: BTreeMap<Vec<String>, Vec<TenantId>> = BTreeMap::new();
    for (tenant, perms) in rows.filter(|(_, p)| !p.is_empty()) {
        groups.entry(perms).or_default().push(tenant);
    }
    groups
        .into_iter()
        .map(|(permissions, tenants)| TenantRights {
            tenants,
            permissions,
        })
        .collect()
}

/// The access claim of `user`; `None` if the snapshot does not know them. An inactive
/// user holds nothing.
pub fn access_claim(
    snap: &Snapshot,
    perms: &PermissionIndex,
    user: UserId,
    now: OffsetDateTime,
) -> Option<AccessClaim> {
    let (_, groups) = snap.user_groups(user, now)?;
    let groups = groups.iter().map(|g| g.name.to_string()).collect();
    let m = effective_permissions(snap, perms, user, now)?;
    if !m.active {
        return Some(AccessClaim {
            groups,
            business: Vec::new(),
            live: Vec::new(),
            sandbox: Vec::new(),
        });
    }
    let blocked = m.mfa_blocked;
    let env = |pick: fn(&super::matrix::TenantGrants) -> &Vec<Grant>, is_blocked: bool| {
        if is_blocked {
            return Vec::new();
        }
        by_rights(m.tenants.iter().map(|t| (t.tenant_id, keys(pick(t)))))
    };
    Some(AccessClaim {
        groups,
        business: if blocked.business {
            Vec::new()
        } else {
            keys(&m.business)
        },
        live: env(|t| &t.live, blocked.live),
        sandbox: env(|t| &t.sandbox, blocked.sandbox),
    })
}
