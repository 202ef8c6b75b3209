//! What a change would do to access, computed from the snapshot before it is made: how many
//! users gain or lose which rights when a group's permissions, tenants or members change.
//! And how exposed a business is without MFA. The dashboard shows both before saving.

use rustc_hash::FxHashSet;
use serde::Serialize;
use time::OffsetDateTime;

use crate::grants::GrantScope;

use super::index::{Masks, PermissionIndex};
use super::snapshot::Snapshot;
use crate::catalog::PermissionKey;
use crate::grants::Grants;
use crate::ids::{GroupId, TenantId, UserId};
use crate::model::{GroupScope, UserStatus};
use crate::types::Environment;

/// A proposed change to one group.
#[derive(Debug, Clone, Copy)]
pub struct GroupChange<'a> {
    /// The group as it is now; `None` for a group not created yet.
    pub group: Option<GroupId>,
    /// Its scope and grants after the change.
    pub scope: &'a GroupScope,
    pub grants: &'a Grants,
    /// Users who join the group with the change.
    pub add: &'a [UserId],
    /// Users who leave it.
    pub remove: &'a [UserId],
}

/// How many users gain (or lose) one right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RightChange {
    pub permission: PermissionKey,
    pub scope: GrantScope,
    pub users: usize,
}

/// The effect of a change on the users it touches (deactivated users hold nothing either
/// way and are not counted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AccessEffect {
    /// Users whose rights change at all.
    pub users_affected: usize,
    pub gained: Vec<RightChange>,
    pub lost: Vec<RightChange>,
}

impl AccessEffect {
    pub fn is_empty(&self) -> bool {
        self.gained.is_empty() && self.lost.is_empty()
    }
}

/// A user's rights: business bits, and per tenant (by snapshot index) Live and Sandbox bits.
struct Rights {
    business: u64,
    tenants: Vec<(u64, u64)>,
}

impl Rights {
    fn new(tenants: usize) -> Self {
        Self {
            business: 0,
            tenants: vec![(0, 0); tenants],
        }
    }

    fn add(&mut self, masks: Masks, covers: impl Fn(usize) -> bool) {
        self.business |= masks.business;
        for (i, t) in self.tenants.iter_mut().enumerate() {
            if covers(i) {
                t.0 |= masks.live;
                t.1 |= masks.sandbox;
            }
        }
    }

    /// Bits `self` has (in some tenant, for environments) that `other` lacks there.
    fn beyond(&self, other: &Rights) -> Masks {
        let mut m = Masks {
            business: self.business & !other.business,
            ..Masks::default()
        };
        for (mine, theirs) in self.tenants.iter().zip(&other.tenants) {
            m.live |= mine.0 & !theirs.0;
            m.sandbox |= mine.1 & !theirs.1;
        }
        m
    }
}

/// Counts per bit, for each scope.
#[derive(Default)]
struct Tally {
    business: Vec<usize>,
    live: Vec<usize>,
    sandbox: Vec<usize>,
}

impl Tally {
    fn count(&mut self, m: Masks) {
        for (counts, mask) in [
            (&mut self.business, m.business),
            (&mut self.live, m.live),
            (&mut self.sandbox, m.sandbox),
        ] {
            if counts.len() < 64 {
                counts.resize(64, 0);
            }
            for (bit, n) in counts.iter_mut().enumerate() {
                if mask & (1 << bit) != 0 {
                    *n += 1;
                }
            }
        }
    }

    fn changes(&self, perms: &PermissionIndex) -> Vec<RightChange> {
        let mut out = Vec::new();
        let scopes = [
            (GrantScope::Business, &self.business),
            (GrantScope::Live, &self.live),
            (GrantScope::Sandbox, &self.sandbox),
        ];
        for (scope, counts) in scopes {
            let keys: Vec<&PermissionKey> = match scope {
                GrantScope::Business => perms.business_keys(u64::MAX).collect(),
                _ => perms.environment_keys(u64::MAX).collect(),
            };
            for (key, n) in keys.into_iter().zip(counts) {
                if *n > 0 {
                    out.push(RightChange {
                        permission: key.clone(),
                        scope,
                        users: *n,
                    });
                }
            }
        }
        out
    }
}

/// Tenant indices of the snapshot a scope covers.
fn covered(snap: &Snapshot, scope: &GroupScope) -> Vec<bool> {
    match scope {
        GroupScope::Business => vec![true; snap.tenants().len()],
        GroupScope::Tenants(set) => snap.tenants().iter().map(|t| set.contains(t)).collect(),
    }
}

/// What `change` would do: for every user who is (or becomes, or stops being) a member,
/// their rights before and after.
pub fn group_change_effect(
    snap: &Snapshot,
    perms: &PermissionIndex,
    change: &GroupChange<'_>,
    now: OffsetDateTime,
) -> AccessEffect {
    let added: FxHashSet<UserId> = change.add.iter().copied().collect();
    let removed: FxHashSet<UserId> = change.remove.iter().copied().collect();
    let new_masks = perms.masks(change.grants);
    let new_cover = covered(snap, change.scope);
    let tenants = snap.tenants().len();
    let (mut gained, mut lost) = (Tally::default(), Tally::default());
    let mut affected = 0;
    for user in snap.user_ids() {
        let Some((status, groups)) = snap.user_groups(user, now) else {
            continue;
        };
        let member = change
            .group
            .is_some_and(|g| groups.iter().any(|e| e.id == g));
        let member_after = (member || added.contains(&user)) && !removed.contains(&user);
        if status == UserStatus::Deactivated || (!member && !member_after) {
            continue;
        }
        let (mut before, mut after) = (Rights::new(tenants), Rights::new(tenants));
        for g in &groups {
            before.add(g.masks, |i| Snapshot::covers(g, i));
            if Some(g.id) != change.group {
                after.add(g.masks, |i| Snapshot::covers(g, i));
            }
        }
        if member_after {
            after.add(new_masks, |i| new_cover[i]);
        }
        let (plus, minus) = (after.beyond(&before), before.beyond(&after));
        if plus != Masks::default() || minus != Masks::default() {
            affected += 1;
        }
        gained.count(plus);
        lost.count(minus);
    }
    AccessEffect {
        users_affected: affected,
        gained: gained.changes(perms),
        lost: lost.changes(perms),
    }
}

/// Whether the environment-scope right `key` is held by `user` in every tenant of `scope`
/// (for a business scope: business-wide). For marking what a form may grant.
pub fn holds_everywhere(
    snap: &Snapshot,
    perms: &PermissionIndex,
    user: UserId,
    key: &str,
    env: Environment,
    tenants: &[TenantId],
    now: time::OffsetDateTime,
) -> bool {
    if tenants.is_empty() {
        return snap.holds_business_wide(perms, user, key, env, now);
    }
    tenants.iter().all(|t| {
        let q = super::CheckQuery {
            user,
            permission: key,
            tenant: Some(*t),
            environment: Some(env),
        };
        snap.check(perms, &q, now).is_ok_and(|d| d.allowed)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::BTreeSet;

    use time::OffsetDateTime;

    use super::*;
    use crate::catalog::Catalog;
    use crate::data::{GroupData, UserData};
    use crate::ids::BusinessId;
    use crate::model::SecuritySettings;
    use crate::types::GroupName;

    fn key(k: &str) -> PermissionKey {
        PermissionKey::parse(k).unwrap()
    }

    fn model() -> (crate::AccessModelData, Vec<UserId>, GroupId, Vec<TenantId>) {
        let t = OffsetDateTime::UNIX_EPOCH;
        let tenants = vec![TenantId::new(t), TenantId::new(t)];
        let group = GroupId::new(t);
        let users: Vec<UserId> = (0..3).map(|_| UserId::new(t)).collect();
        let grants = Grants {
            sandbox: [key("analytics")].into(),
            ..Grants::default()
        };
        let data = crate::AccessModelData {
            seq: 1,
            settings: SecuritySettings::new(t),
            tenants: tenants.clone(),
            groups: vec![GroupData {
                id: group,
                name: GroupName::parse("Sandbox").unwrap(),
                scope: GroupScope::Tenants(BTreeSet::from([tenants[0]])),
                grants,
            }],
            users: users
                .iter()
                .enumerate()
                .map(|(i, id)| UserData {
                    id: *id,
                    status: if i == 2 {
                        UserStatus::Deactivated
                    } else {
                        UserStatus::Active
                    },
                    mfa_enrolled: i == 1,
                    passkey: false,
                    active_since: t,
                    groups: vec![group],
                    expiring: Vec::new(),
                })
                .collect(),
            api_keys: vec![],
        };
        (data, users, group, tenants)
    }

    #[test]
    fn adding_live_counts_active_members_only() {
        let (data, _, group, tenants) = model();
        let perms = PermissionIndex::new(&Catalog::default());
        let snap = Snapshot::build(BusinessId::new(OffsetDateTime::UNIX_EPOCH), &data, &perms);
        let grants = Grants {
            live: [key("analytics")].into(),
            ..Grants::default()
        };
        let scope = GroupScope::Tenants(BTreeSet::from([tenants[0]]));
        let effect = group_change_effect(
            &snap,
            &perms,
            &GroupChange {
                group: Some(group),
                scope: &scope,
                grants: &grants,
                add: &[],
                remove: &[],
            },
            OffsetDateTime::UNIX_EPOCH,
        );
        assert_eq!(effect.users_affected, 2);
        assert_eq!(effect.gained.len(), 1);
        assert_eq!(effect.gained[0].scope, GrantScope::Live);
        assert_eq!(effect.gained[0].users, 2);
        assert_eq!(effect.lost[0].scope, GrantScope::Sandbox);
        assert_eq!(effect.lost[0].permission, key("analytics"));
    }

    #[test]
    fn widening_tenants_gains_and_removing_a_member_loses() {
        let (data, users, group, _) = model();
        let perms = PermissionIndex::new(&Catalog::default());
        let snap = Snapshot::build(BusinessId::new(OffsetDateTime::UNIX_EPOCH), &data, &perms);
        let g = &data.groups[0];
        let same = group_change_effect(
            &snap,
            &perms,
            &GroupChange {
                group: Some(group),
                scope: &g.scope,
                grants: &g.grants,
                add: &[],
                remove: &[users[0]],
            },
            OffsetDateTime::UNIX_EPOCH,
        );
        assert_eq!(same.users_affected, 1);
        assert!(same.gained.is_empty());
        assert_eq!(same.lost[0].users, 1);
        let wide = group_change_effect(
            &snap,
            &perms,
            &GroupChange {
                group: Some(group),
                scope: &GroupScope::Business,
                grants: &g.grants,
                add: &[],
                remove: &[],
            },
            OffsetDateTime::UNIX_EPOCH,
        );
        assert_eq!(wide.gained[0].users, 2, "the second tenant is new to both");
        assert!(wide.lost.is_empty());
    }

    #[test]
    fn exposure_counts_live_access_without_mfa() {
        let (mut data, _, _, _) = model();
        data.groups[0].grants.live.insert(key("analytics"));
        let perms = PermissionIndex::new(&Catalog::default());
        let snap = Snapshot::build(BusinessId::new(OffsetDateTime::UNIX_EPOCH), &data, &perms);
        let e = snap.mfa_exposure(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(e.active_users, 2);
        assert_eq!(e.live_users, 2);
        assert_eq!(e.live_without_mfa, 1);
    }
}
