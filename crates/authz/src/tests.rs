//! The engine against a straightforward reference model, on random access models and random
//! questions; and incremental updates against fresh builds.

use std::collections::BTreeSet;

use proptest::prelude::*;
use time::{Duration, OffsetDateTime};

use super::data::{AccessModelData, GroupData, UserData};
use super::index::PermissionIndex;
use super::snapshot::{CheckQuery, Decision, Reason, Snapshot};
use crate::catalog::{Catalog, PermissionKey, PermissionScope};
use crate::error::Result;
use crate::grants::Grants;
use crate::ids::{GroupId, TenantId};
use crate::model::{GroupScope, MfaPolicy, PasskeyPolicy, SecuritySettings, UserStatus};
use crate::types::{Environment, GroupName};

const T0: i64 = 1_800_000_000;

fn uuid_id<K>(n: u128) -> crate::ids::Id<K> {
    crate::ids::Id::from_uuid(uuid::Uuid::from_u128(
        0x0190_0000_0000_7000_8000_0000_0000_0000 | n,
    ))
}

fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap()
}

/// What the engine must answer, written as plainly as possible.
fn reference(
    data: &AccessModelData,
    catalog: &Catalog,
    q: &CheckQuery<'_>,
    now: OffsetDateTime,
) -> Result<Decision> {
    let deny = |reason| {
        Ok(Decision {
            allowed: false,
            reason,
            granted_by: vec![],
        })
    };
    let Some(def) = catalog.get(q.permission) else {
        return deny(Reason::PermissionUnknown);
    };
    if def.scope == PermissionScope::Environment && (q.tenant.is_none() || q.environment.is_none())
    {
        return Err(crate::Error::invalid("tenant_required", "tenant_id", ""));
    }
    let Some(user) = data.users.iter().find(|u| u.id == q.user) else {
        return deny(Reason::UserUnknown);
    };
    if def.scope == PermissionScope::Environment && !data.tenants.contains(&q.tenant.unwrap()) {
        return deny(Reason::TenantUnknown);
    }
    if user.status != UserStatus::Active {
        return deny(Reason::UserInactive);
    }
    let mut granted_by = vec![];
    for gid in &user.groups {
        // Temporary access: absent from its end on.
        if user.expiring.iter().any(|(e, end)| e == gid && now >= *end) {
            continue;
        }
        let Some(g) = data.groups.iter().find(|g| g.id == *gid) else {
            continue;
        };
        let grants = match def.scope {
            PermissionScope::Business => g.grants.business.contains(&def.key),
            PermissionScope::Environment => {
                let covers = match &g.scope {
                    GroupScope::Business => true,
                    GroupScope::Tenants(set) => set.contains(&q.tenant.unwrap()),
                };
                covers
                    && g.grants
                        .environment(q.environment.unwrap())
                        .contains(&def.key)
            }
        };
        if grants {
            granted_by.push(g.id);
        }
    }
    if granted_by.is_empty() {
        return deny(Reason::NoGrant);
    }
    let s = &data.settings;
    let applies = match s.mfa_policy {
        MfaPolicy::Off => false,
        MfaPolicy::All => true,
        MfaPolicy::LiveAccess => {
            def.scope == PermissionScope::Environment && q.environment == Some(Environment::Live)
        }
    };
    let env_scope = def.scope == PermissionScope::Environment;
    let needs_passkey = !user.passkey
        && match s.passkey_policy {
            PasskeyPolicy::Off => false,
            PasskeyPolicy::All => true,
            PasskeyPolicy::LiveAccess => env_scope && q.environment == Some(Environment::Live),
            PasskeyPolicy::Administrators => !env_scope,
        };
    let deadline = user.active_since.max(s.mfa_policy_changed_at)
        + Duration::days(i64::from(s.mfa_grace_days));
    // A grace of zero days is none at all, whatever time the activation or policy change
    // was stamped with (another node's clock may be ahead).
    let past_grace = s.mfa_grace_days == 0 || now >= deadline;
    if ((!user.mfa_enrolled && applies) || needs_passkey) && past_grace {
        return deny(Reason::MfaRequired);
    }
    Ok(Decision {
        allowed: true,
        reason: Reason::Granted,
        granted_by,
    })
}

fn subset<T: Clone>(all: &[T], mask: u64) -> Vec<T> {
    all.iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << (i % 64)) != 0)
        .map(|(_, t)| t.clone())
        .collect()
}

fn keys(catalog: &Catalog, scope: PermissionScope) -> Vec<PermissionKey> {
    catalog.keys_of(scope).into_iter().collect()
}

/// Random model: 1–5 tenants, 0–7 groups, 0–9 users, one of three MFA policies and four
/// passkey policies.
fn model() -> impl Strategy<Value = AccessModelData> {
    let group = (
        any::<bool>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
    );
    let user = (
        0u8..4,
        any::<bool>(),
        any::<u64>(),
        0i64..20,
        any::<u64>(),
        0i64..30,
    );
    (
        1usize..6,
        prop::collection::vec(group, 0..8),
        prop::collection::vec(user, 0..10),
        0u8..12,
        0u32..3,
        0i64..20,
    )
        .prop_map(|(n_tenants, groups, users, policy, grace, changed)| {
            let catalog = Catalog::default();
            let env_keys = keys(&catalog, PermissionScope::Environment);
            let business_keys = keys(&catalog, PermissionScope::Business);
            let tenants: Vec<TenantId> = (0..n_tenants as u128).map(|i| uuid_id(100 + i)).collect();
            let groups: Vec<GroupData> = groups
                .into_iter()
                .enumerate()
                .map(|(i, (business_wide, tmask, live, sandbox, admin))| {
                    let set: BTreeSet<TenantId> = subset(&tenants, tmask | 1).into_iter().collect();
                    GroupData {
                        id: uuid_id(200 + i as u128),
                        name: GroupName::parse(&format!("g{i}")).unwrap(),
                        scope: if business_wide {
                            GroupScope::Business
                        } else {
                            GroupScope::Tenants(set)
                        },
                        grants: Grants {
                            business: if business_wide {
                                subset(&business_keys, admin).into_iter().collect()
                            } else {
                                BTreeSet::new()
                            },
                            live: subset(&env_keys, live).into_iter().collect(),
                            sandbox: subset(&env_keys, sandbox).into_iter().collect(),
                        },
                    }
                })
                .collect();
            let group_ids: Vec<GroupId> = groups.iter().map(|g| g.id).collect();
            let statuses = [
                UserStatus::Active,
                UserStatus::Active,
                UserStatus::Pending,
                UserStatus::Deactivated,
            ];
            let users = users
                .into_iter()
                .enumerate()
                .map(|(i, (status, mfa, gmask, since, emask, end))| {
                    let groups = subset(&group_ids, gmask);
                    // Some memberships end, on a day a question may fall on exactly.
                    let expiring = subset(&groups, emask)
                        .into_iter()
                        .map(|g| (g, at(T0 + end * 86_400)))
                        .collect();
                    UserData {
                        id: uuid_id(300 + i as u128),
                        status: statuses[status as usize],
                        mfa_enrolled: mfa,
                        // The top bit is no group's (there are at most eight).
                        passkey: gmask >> 63 == 1,
                        active_since: at(T0 + since * 86_400),
                        groups,
                        expiring,
                    }
                })
                .collect();
            let mfa_policy =
                [MfaPolicy::All, MfaPolicy::LiveAccess, MfaPolicy::Off][policy as usize % 3];
            let passkey_policy = [
                PasskeyPolicy::Off,
                PasskeyPolicy::All,
                PasskeyPolicy::LiveAccess,
                PasskeyPolicy::Administrators,
            ][policy as usize / 3];
            AccessModelData {
                seq: 1,
                settings: SecuritySettings {
                    mfa_policy,
                    passkey_policy,
                    mfa_grace_days: grace,
                    mfa_policy_changed_at: at(T0 + changed * 86_400),
                },
                tenants,
                groups,
                users,
                api_keys: vec![],
            }
        })
}

/// Random questions about a model, including unknown users, tenants and permissions.
fn queries() -> impl Strategy<Value = Vec<(u128, usize, u128, u8, i64)>> {
    prop::collection::vec((0u128..12, 0usize..20, 0u128..7, 0u8..3, 0i64..30), 1..40)
}

fn ask(
    data: &AccessModelData,
    snap: &Snapshot,
    perms: &PermissionIndex,
    catalog: &Catalog,
    qs: &[(u128, usize, u128, u8, i64)],
) {
    let all_keys: Vec<String> = catalog
        .iter()
        .map(|d| d.key.to_string())
        .chain(["made.up".to_owned(), "".to_owned()])
        .collect();
    for &(user, perm, tenant, env, day) in qs {
        let permission = &all_keys[perm % all_keys.len()];
        let q = CheckQuery {
            user: uuid_id(300 + user),
            permission,
            tenant: (tenant < 6).then(|| uuid_id(100 + tenant)),
            environment: [Some(Environment::Live), Some(Environment::Sandbox), None][env as usize],
        };
        let now = at(T0 + day * 86_400);
        let got = snap.check(perms, &q, now).map_err(|e| e.code());
        let want = reference(data, catalog, &q, now).map_err(|e| e.code());
        match (&got, &want) {
            (Ok(g), Ok(w)) => {
                assert_eq!(
                    (g.allowed, g.reason),
                    (w.allowed, w.reason),
                    "{q:?} at day {day}"
                );
                let (g, w): (BTreeSet<_>, BTreeSet<_>) =
                    (g.granted_by.iter().collect(), w.granted_by.iter().collect());
                assert_eq!(g, w, "{q:?}");
            }
            _ => assert_eq!(got.is_err(), want.is_err(), "{q:?}: {got:?} vs {want:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn engine_agrees_with_reference_model(data in model(), qs in queries()) {
        let catalog = Catalog::default();
        let perms = PermissionIndex::new(&catalog);
        let snap = Snapshot::build(uuid_id::<crate::ids::BusinessKind>(1), &data, &perms);
        ask(&data, &snap, &perms, &catalog, &qs);
    }

    /// A snapshot patched with what changed answers exactly like one built from scratch.
    #[test]
    fn patched_snapshot_equals_fresh_build(before in model(), after in model(), qs in queries()) {
        let catalog = Catalog::default();
        let perms = PermissionIndex::new(&catalog);
        // `after` keeps `before`'s tenants and settings (their changes reload everything).
        let after = AccessModelData { tenants: before.tenants.clone(), settings: before.settings.clone(), seq: 2, ..after };
        let after = AccessModelData {
            groups: after.groups.iter().map(|g| GroupData {
                scope: match &g.scope {
                    GroupScope::Tenants(s) => GroupScope::Tenants(s.iter().filter(|t| before.tenants.contains(t)).copied().chain(before.tenants.first().copied()).collect()),
                    GroupScope::Business => GroupScope::Business,
                },
                ..g.clone()
            }).collect(),
            ..after
        };
        let changed_groups: Vec<GroupId> = before.groups.iter().map(|g| g.id).chain(after.groups.iter().map(|g| g.id))
            .filter(|id| before.groups.iter().find(|g| g.id == *id) != after.groups.iter().find(|g| g.id == *id))
            .collect::<BTreeSet<_>>().into_iter().collect();
        let changed_users: Vec<UserData> = after.users.iter().filter(|u| !before.users.contains(u)).cloned().collect();
        // Users that vanish cannot happen (no deletes): keep them as they were in `after`.
        let mut after = after;
        for u in &before.users {
            if !after.users.iter().any(|a| a.id == u.id) {
                after.users.push(UserData { groups: u.groups.iter().filter(|g| after.groups.iter().any(|ag| ag.id == **g)).copied().collect(), expiring: u.expiring.iter().filter(|(g, _)| after.groups.iter().any(|ag| ag.id == *g)).copied().collect(), ..u.clone() });
            }
        }
        let changed_users: Vec<UserData> = changed_users.into_iter().chain(after.users.iter().filter(|u| !before.users.contains(u)).cloned()).collect();
        let business = uuid_id::<crate::ids::BusinessKind>(1);
        let groups_after: Vec<GroupData> = after.groups.iter().filter(|g| changed_groups.contains(&g.id)).cloned().collect();
        let patched = Snapshot::build(business, &before, &perms).patched(2, &perms, (&changed_groups, &groups_after), &changed_users, (&[], &[]));
        let fresh = Snapshot::build(business, &after, &perms);
        for &(user, perm, tenant, env, day) in &qs {
            let all: Vec<String> = catalog.iter().map(|d| d.key.to_string()).collect();
            let q = CheckQuery {
                user: uuid_id(300 + user),
                permission: &all[perm % all.len()],
                tenant: (tenant < 6).then(|| uuid_id(100 + tenant)),
                environment: [Some(Environment::Live), Some(Environment::Sandbox), None][env as usize],
            };
            let now = at(T0 + day * 86_400);
            let p = patched.check(&perms, &q, now).map(|d| (d.allowed, d.reason, d.granted_by.into_iter().collect::<BTreeSet<_>>())).map_err(|e| e.code());
            let f = fresh.check(&perms, &q, now).map(|d| (d.allowed, d.reason, d.granted_by.into_iter().collect::<BTreeSet<_>>())).map_err(|e| e.code());
            prop_assert_eq!(p, f, "{:?}", q);
        }
    }
}

/// Temporary access costs users without it nothing: its flag fits in the entry's padding.
#[test]
fn a_user_entry_stays_32_bytes() {
    assert_eq!(std::mem::size_of::<super::snapshot::UserEntry>(), 32);
}
