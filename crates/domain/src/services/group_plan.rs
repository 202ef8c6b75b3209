//! A group change planned once, for every caller: the API's create and update, the
//! dashboard's review step and its save. The plan checks the group's shape, says what the
//! change grants where it applies, what of it is sensitive, what of it the caller lacks, and
//! what it does to the members' access — changing nothing.

use std::collections::BTreeSet;

use super::Gatehouse;
use crate::authz::preview::{AccessEffect, GroupChange, group_change_effect};
use crate::error::{Error, Result};
use crate::grants::{Grants, ScopedPermission};
use crate::ids::{TenantId, UserId};
use crate::model::{Group, GroupKind, GroupScope};
use crate::principal::{BusinessAccess, GroupsManage};

/// The scope a group of `kind` over `tenants` has, by the rules of group shapes: a business
/// group takes no tenant list, a tenants group needs at least one tenant and grants no
/// business-scope rights. (Whether the tenants exist is the caller's to check.)
pub(crate) fn group_scope(
    kind: GroupKind,
    tenants: &[TenantId],
    grants: &Grants,
) -> Result<GroupScope> {
    match kind {
        GroupKind::Business if !tenants.is_empty() => Err(Error::TenantSetOnBusinessGroup),
        GroupKind::Business => Ok(GroupScope::Business),
        GroupKind::Tenants if tenants.is_empty() => Err(Error::EmptyTenantSet),
        GroupKind::Tenants if !grants.business.is_empty() => {
            Err(Error::BusinessPermissionOnTenantGroup)
        }
        GroupKind::Tenants => Ok(GroupScope::Tenants(
            tenants.iter().copied().collect::<BTreeSet<_>>(),
        )),
    }
}

/// Whether `new` covers a tenant `old` did not.
fn widens(old: &GroupScope, new: &GroupScope) -> bool {
    match (old, new) {
        (GroupScope::Business, _) => false,
        (GroupScope::Tenants(_), GroupScope::Business) => true,
        (GroupScope::Tenants(old), GroupScope::Tenants(new)) => !new.is_subset(old),
    }
}

/// What a change grants that was not granted where it applies: everything for a new group
/// or a wider scope (every remaining right reaches the new tenants), else what it adds.
/// Removing rights is always allowed.
pub(crate) fn granted_by_change(
    before: Option<&Group>,
    scope: &GroupScope,
    grants: &Grants,
) -> Grants {
    match before {
        Some(b) if !widens(&b.scope, scope) => grants.added_to(&b.grants),
        _ => grants.clone(),
    }
}

/// A proposed group: what it would be after the change.
#[derive(Debug, Clone, Copy)]
pub struct GroupProposal<'a> {
    /// The group as it is now; `None` for a new group.
    pub before: Option<&'a Group>,
    pub kind: GroupKind,
    pub tenants: &'a [TenantId],
    pub grants: &'a Grants,
    /// Users who would join or leave with the change.
    pub add: &'a [UserId],
    pub remove: &'a [UserId],
}

/// What a proposed group change would be and do.
#[derive(Debug, Clone)]
pub struct GroupPlan {
    pub scope: GroupScope,
    /// What the change grants where it applies.
    pub granted: Grants,
    /// The sensitive rights among them: saving needs `acknowledge_sensitive`.
    pub sensitive: Vec<ScopedPermission>,
    /// What of them the caller lacks: saving would be refused (`would_escalate`).
    pub missing: Vec<ScopedPermission>,
    /// What it does to the members' access.
    pub effect: AccessEffect,
}

impl Gatehouse {
    /// Plans a group change (see the module doc). Errors for a shape that can never be saved
    /// (unknown permission or tenant, a scope its type does not allow); a plan with
    /// `missing` rights is still returned, to show.
    pub async fn plan_group_change(
        &self,
        access: &BusinessAccess<GroupsManage>,
        proposal: GroupProposal<'_>,
    ) -> Result<GroupPlan> {
        self.catalog.validate(proposal.grants)?;
        let scope = group_scope(proposal.kind, proposal.tenants, proposal.grants)?;
        let snapshot = self.access_snapshot(access).await?;
        if proposal.tenants.iter().any(|t| !snapshot.has_tenant(*t)) {
            return Err(Error::TenantNotFound);
        }
        let granted = granted_by_change(proposal.before, &scope, proposal.grants);
        let unchanged = proposal.add.is_empty()
            && proposal.remove.is_empty()
            && proposal
                .before
                .is_some_and(|b| b.scope == scope && &b.grants == proposal.grants);
        let effect = if unchanged {
            AccessEffect::default()
        } else {
            group_change_effect(
                &snapshot,
                self.engine.permissions(),
                &GroupChange {
                    group: proposal.before.map(|g| g.id),
                    scope: &scope,
                    grants: proposal.grants,
                    add: proposal.add,
                    remove: proposal.remove,
                },
                self.now(),
            )
        };
        Ok(GroupPlan {
            sensitive: self.catalog.sensitive_in(&granted),
            missing: access.lacks(&granted, &scope),
            granted,
            scope,
            effect,
        })
    }
}
