//! No escalation, by any service path: random businesses, random principals (API keys with
//! random rights), random change requests. No accepted change ever leaves anyone — a user, or
//! a new API key — with a right the principal did not hold.

use std::collections::BTreeSet;

use gatehouse_domain::authz::CheckQuery;
use gatehouse_domain::catalog::{Catalog, PermissionKey, PermissionScope};
use gatehouse_domain::grants::Grants;
use gatehouse_domain::ids::{BusinessId, TenantId, UserId};
use gatehouse_domain::model::GroupKind;
use gatehouse_domain::services::NewGroup;
use gatehouse_domain::types::{Description, Environment, GroupName};
use proptest::prelude::*;

use crate::harness::Env;

mod cases;
mod property;

/// Picks a subset of `all` by the bits of `mask`.
pub(crate) fn pick(all: &[PermissionKey], mask: u64) -> BTreeSet<PermissionKey> {
    all.iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, k)| k.clone())
        .collect()
}

#[derive(Debug, Clone)]
pub(crate) struct RandomGrants {
    pub(crate) business: u64,
    pub(crate) live: u64,
    pub(crate) sandbox: u64,
}

impl RandomGrants {
    fn grants(&self, catalog: &Catalog, business_allowed: bool) -> Grants {
        let env: Vec<_> = catalog
            .keys_of(PermissionScope::Environment)
            .into_iter()
            .collect();
        let admin: Vec<_> = catalog
            .keys_of(PermissionScope::Business)
            .into_iter()
            .collect();
        Grants {
            business: if business_allowed {
                pick(&admin, self.business)
            } else {
                BTreeSet::new()
            },
            live: pick(&env, self.live),
            sandbox: pick(&env, self.sandbox),
        }
    }
}

pub(crate) fn random_grants() -> impl Strategy<Value = RandomGrants> {
    // Sparse masks, so principals hold some rights and lack others; often no business
    // permissions at all, so environment grants get past that check and are what is tested.
    (
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<bool>(),
    )
        .prop_map(|(a, b, c, d, admin)| RandomGrants {
            business: if admin { a & b } else { 0 },
            live: b & c,
            sandbox: c & d,
        })
}

#[derive(Debug, Clone)]
pub(crate) enum Request {
    CreateGroup {
        business_wide: bool,
        tenants: u8,
        grants: RandomGrants,
    },
    UpdateGroup {
        group: usize,
        business_wide: bool,
        tenants: u8,
        grants: RandomGrants,
    },
    AddMember {
        group: usize,
        user: usize,
    },
    SetUserGroups {
        user: usize,
        groups: u8,
    },
    CreateApiKey {
        grants: RandomGrants,
    },
    CreateUser {
        groups: u8,
    },
}

pub(crate) fn request() -> impl Strategy<Value = Request> {
    prop_oneof![
        (any::<bool>(), any::<u8>(), random_grants()).prop_map(
            |(business_wide, tenants, grants)| Request::CreateGroup {
                business_wide,
                tenants,
                grants
            }
        ),
        (0usize..6, any::<bool>(), any::<u8>(), random_grants()).prop_map(
            |(group, business_wide, tenants, grants)| Request::UpdateGroup {
                group,
                business_wide,
                tenants,
                grants
            }
        ),
        (0usize..6, 0usize..5).prop_map(|(group, user)| Request::AddMember { group, user }),
        (0usize..5, any::<u8>()).prop_map(|(user, groups)| Request::SetUserGroups { user, groups }),
        random_grants().prop_map(|grants| Request::CreateApiKey { grants }),
        any::<u8>().prop_map(|groups| Request::CreateUser { groups }),
    ]
}

#[derive(Debug, Clone)]
pub(crate) struct Case {
    tenants: usize,
    groups: Vec<(bool, u8, RandomGrants)>,
    users: Vec<u8>,
    principal: RandomGrants,
    /// A signed-in user (rights from their groups) rather than an API key.
    principal_is_user: bool,
    requests: Vec<Request>,
}

pub(crate) fn case() -> impl Strategy<Value = Case> {
    (
        1usize..4,
        prop::collection::vec((any::<bool>(), any::<u8>(), random_grants()), 0..5),
        prop::collection::vec(any::<u8>(), 1..5),
        random_grants(),
        any::<bool>(),
        prop::collection::vec(request(), 1..8),
    )
        .prop_map(
            |(tenants, groups, users, principal, principal_is_user, requests)| Case {
                tenants,
                groups,
                users,
                principal,
                principal_is_user,
                requests,
            },
        )
}

/// Every (user, permission, environment or business, tenant) right in the business.
pub(crate) async fn rights(
    env: &Env,
    business: BusinessId,
    users: &[UserId],
    tenants: &[TenantId],
) -> BTreeSet<(UserId, String, Option<Environment>, Option<TenantId>)> {
    let engine = env.gh.engine();
    let snap = snapshot_of(env, business).await;
    let now = env.gh.now();
    let mut out = BTreeSet::new();
    for def in env.gh.catalog().iter() {
        for user in users {
            let places: Vec<(Option<TenantId>, Option<Environment>)> = match def.scope {
                PermissionScope::Business => vec![(None, None)],
                PermissionScope::Environment => tenants
                    .iter()
                    .flat_map(|t| Environment::ALL.map(|e| (Some(*t), Some(e))))
                    .collect(),
            };
            for (tenant, environment) in places {
                let q = CheckQuery {
                    user: *user,
                    permission: def.key.as_str(),
                    tenant,
                    environment,
                };
                if snap.check(engine.permissions(), &q, now).unwrap().allowed {
                    out.insert((*user, def.key.to_string(), environment, tenant));
                }
            }
        }
    }
    out
}

pub(crate) fn holds(principal: &Grants, permission: &str, env: Option<Environment>) -> bool {
    let set = match env {
        None => &principal.business,
        Some(e) => principal.environment(e),
    };
    set.iter().any(|k| k.as_str() == permission)
}

pub(crate) fn subset_of<T: Copy>(all: &[T], mask: u8) -> Vec<T> {
    all.iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << (i % 8)) != 0)
        .map(|(_, t)| *t)
        .collect()
}

pub(crate) fn new_group(
    catalog: &Catalog,
    name: &str,
    business_wide: bool,
    tenants: &[TenantId],
    g: &RandomGrants,
    all: &[TenantId],
) -> NewGroup {
    NewGroup {
        name: GroupName::parse(name).unwrap(),
        description: Description::parse("").unwrap(),
        kind: if business_wide {
            GroupKind::Business
        } else {
            GroupKind::Tenants
        },
        tenants: if business_wide {
            vec![]
        } else if tenants.is_empty() {
            vec![all[0]]
        } else {
            tenants.to_vec()
        },
        grants: g.grants(catalog, business_wide),
        acknowledge_sensitive: true,
    }
}

/// The business's current access snapshot, as the operator may read it.
pub async fn snapshot_of(
    env: &Env,
    business: BusinessId,
) -> std::sync::Arc<gatehouse_domain::authz::Snapshot> {
    let op = gatehouse_domain::principal::Principal::Operator
        .operator()
        .unwrap();
    env.gh
        .access_snapshot(&op.in_business::<gatehouse_domain::principal::UsersView>(business))
        .await
        .unwrap()
}
