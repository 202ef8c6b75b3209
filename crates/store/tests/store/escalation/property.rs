//! The property: random businesses, principals and change requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use gatehouse_domain::catalog::PermissionKey;
use gatehouse_domain::grants::Grants;
use gatehouse_domain::ids::{GroupId, TenantId, UserId};
use gatehouse_domain::model::GroupKind;
use gatehouse_domain::principal::{ApiKeysManage, GroupsManage, Principal, UsersManage};
use gatehouse_domain::services::{
    GroupPatch, NewApiKey, NewGroup, NewUser, Precondition, UserPatch,
};
use gatehouse_domain::types::{ApiKeyName, DisplayName, Email, Environment};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::harness::Env;

use super::*;

crate::backend_tests!(no_accepted_change_grants_what_the_principal_lacks);

async fn run_case(
    env: &Env,
    n: usize,
    case: &Case,
    accepted: &AtomicUsize,
) -> Result<(), TestCaseError> {
    let catalog = env.gh.catalog().clone();
    let business = env.business(&format!("case{n}")).await;
    let b = business.id;
    let mut tenants = Vec::new();
    for i in 0..case.tenants {
        tenants.push(env.tenant(b, &format!("t{i}")).await.id);
    }
    // The starting state, made by the operator.
    let op_groups = env.access::<GroupsManage>(b);
    let mut groups: Vec<GroupId> = Vec::new();
    for (i, (business_wide, tmask, g)) in case.groups.iter().enumerate() {
        let new = new_group(
            &catalog,
            &format!("seed{i}"),
            *business_wide,
            &subset_of(&tenants, *tmask),
            g,
            &tenants,
        );
        groups.push(
            env.gh
                .create_group(&op_groups, &env.ctx, new)
                .await
                .unwrap()
                .id,
        );
    }
    let mut users: Vec<UserId> = Vec::new();
    for (i, gmask) in case.users.iter().enumerate() {
        let new = NewUser {
            email: Email::parse(&format!("u{i}@case.test")).unwrap(),
            display_name: DisplayName::parse("").unwrap(),
            groups: subset_of(&groups, *gmask),
        };
        let u = env
            .gh
            .create_user(&env.access::<UsersManage>(b), &env.ctx, new)
            .await
            .unwrap();
        env.gh.activate_user(&env.ctx, b, u.id).await.unwrap();
        users.push(u.id);
    }
    let mut principal_grants = case.principal.grants(&catalog, true);
    for k in ["groups.manage", "users.manage", "api_keys.manage"] {
        principal_grants
            .business
            .insert(PermissionKey::parse(k).unwrap());
    }
    let principal = if case.principal_is_user {
        // An administrator whose rights come from a business group plus some seeded groups.
        let admin = NewGroup {
            acknowledge_sensitive: true,
            ..new_group(&catalog, "principal", true, &[], &case.principal, &tenants)
        };
        let mut admin = admin;
        admin
            .grants
            .business
            .extend(principal_grants.business.iter().cloned());
        let admin = env
            .gh
            .create_group(&op_groups, &env.ctx, admin)
            .await
            .unwrap()
            .id;
        let mut member_of = vec![admin];
        member_of.extend(subset_of(&groups, case.principal.sandbox as u8));
        let new = NewUser {
            email: Email::parse("principal@case.test").unwrap(),
            display_name: DisplayName::parse("").unwrap(),
            groups: member_of,
        };
        let me = env
            .gh
            .create_user(&env.access::<UsersManage>(b), &env.ctx, new)
            .await
            .unwrap();
        env.gh.activate_user(&env.ctx, b, me.id).await.unwrap();
        // Enrolled, so the MFA rule does not hide their Live rights.
        env.gh
            .set_mfa_enrolled(&env.ctx, b, me.id, true)
            .await
            .unwrap();
        users.push(me.id);
        Some(me.id)
    } else {
        None
    };
    // A user principal is re-authenticated before every request: it sees the current model.
    let principal_user = principal;
    let principal_at = |snapshot| match principal {
        Some(id) => Principal::User {
            id,
            business_id: b,
            email: Email::parse("principal@case.test").unwrap(),
            snapshot,
            perms: env.gh.engine().permissions_shared(),
            now: env.gh.now(),
        },
        None => Principal::ApiKey {
            id: gatehouse_domain::ids::ApiKeyId::new(env.gh.now()),
            business_id: b,
            name: ApiKeyName::parse("principal").unwrap(),
            grants: Arc::new(principal_grants.clone()),
        },
    };
    for (i, request) in case.requests.iter().enumerate() {
        // A tenant no tenants group names yet: only business-wide rights reach it, so a
        // business-wide grant of something held only tenant by tenant shows up here.
        tenants.push(env.tenant(b, &format!("probe{i}")).await.id);
        let before = rights(env, b, &users, &tenants).await;
        let principal = principal_at(super::snapshot_of(env, b).await);
        // A user may have demoted themselves by an earlier request: then nothing more is allowed.
        let (Ok(manage_groups), Ok(manage_users), Ok(manage_keys)) = (
            principal.authorize::<GroupsManage>(),
            principal.authorize::<UsersManage>(),
            principal.authorize::<ApiKeysManage>(),
        ) else {
            break;
        };
        // What the principal held before the change, where.
        let held = |permission: &str, e: Option<Environment>, tenant: Option<TenantId>| {
            match principal_user {
                Some(me) => before.contains(&(me, permission.to_owned(), e, tenant)),
                None => holds(&principal_grants, permission, e),
            }
        };
        let mut new_key: Option<Grants> = None;
        let result = match request {
            Request::CreateGroup {
                business_wide,
                tenants: tmask,
                grants,
            } => {
                let new = new_group(
                    &catalog,
                    &format!("p{i}"),
                    *business_wide,
                    &subset_of(&tenants, *tmask),
                    grants,
                    &tenants,
                );
                env.gh
                    .create_group(&manage_groups, &env.ctx, new)
                    .await
                    .map(|g| groups.push(g.id))
            }
            Request::UpdateGroup {
                group,
                business_wide,
                tenants: tmask,
                grants,
            } if !groups.is_empty() => {
                let id = groups[group % groups.len()];
                let t = subset_of(&tenants, *tmask);
                let patch = GroupPatch {
                    kind: Some(if *business_wide {
                        GroupKind::Business
                    } else {
                        GroupKind::Tenants
                    }),
                    tenants: Some(if *business_wide {
                        vec![]
                    } else if t.is_empty() {
                        vec![tenants[0]]
                    } else {
                        t
                    }),
                    grants: Some(grants.grants(&catalog, *business_wide)),
                    acknowledge_sensitive: true,
                    ..GroupPatch::default()
                };
                env.gh
                    .update_group(&manage_groups, &env.ctx, id, patch, Precondition::default())
                    .await
                    .map(drop)
            }
            Request::AddMember { group, user } if !groups.is_empty() => {
                let id = groups[group % groups.len()];
                env.gh
                    .add_group_members(&manage_groups, &env.ctx, id, &[users[user % users.len()]])
                    .await
                    .map(drop)
            }
            Request::SetUserGroups {
                user,
                groups: gmask,
            } => {
                let patch = UserPatch {
                    display_name: None,
                    groups: Some(subset_of(&groups, *gmask)),
                };
                env.gh
                    .update_user(
                        &manage_users,
                        &env.ctx,
                        users[user % users.len()],
                        patch,
                        Precondition::default(),
                    )
                    .await
                    .map(drop)
            }
            Request::CreateApiKey { grants } => {
                let g = grants.grants(&catalog, true);
                new_key = Some(g.clone());
                let new = NewApiKey {
                    name: ApiKeyName::parse("k").unwrap(),
                    expires_at: None,
                    grants: g,
                    acknowledge_sensitive: true,
                };
                env.gh
                    .create_api_key(&manage_keys, &env.ctx, new)
                    .await
                    .map(drop)
            }
            Request::CreateUser { groups: gmask } => {
                let new = NewUser {
                    email: Email::parse(&format!("new{i}@case.test")).unwrap(),
                    display_name: DisplayName::parse("").unwrap(),
                    groups: subset_of(&groups, *gmask),
                };
                match env.gh.create_user(&manage_users, &env.ctx, new).await {
                    Ok(u) => {
                        env.gh.activate_user(&env.ctx, b, u.id).await.unwrap();
                        users.push(u.id);
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
            _ => continue,
        };
        match result {
            Ok(()) => {
                accepted.fetch_add(1, Ordering::Relaxed);
                let after = rights(env, b, &users, &tenants).await;
                for (user, permission, e, tenant) in after.difference(&before) {
                    prop_assert!(
                        held(permission, *e, *tenant),
                        "{request:?} gave {user} {permission} in {e:?}/{tenant:?}, which the principal lacks"
                    );
                }
                if let Some(key) = new_key {
                    for (where_, k) in key.entries() {
                        let e = where_.environment();
                        let everywhere = match e {
                            None => held(k.as_str(), None, None),
                            Some(_) => tenants.iter().all(|t| held(k.as_str(), e, Some(*t))),
                        };
                        prop_assert!(
                            everywhere,
                            "{request:?} made a key with {}:{k}, which its creator lacks somewhere",
                            where_.as_str()
                        );
                    }
                }
            }
            Err(e) => {
                prop_assert!(
                    matches!(
                        e.code(),
                        "would_escalate"
                            | "group_name_taken"
                            | "empty_tenant_set"
                            // demoting the business's last administrator is refused too
                            | "last_administrator"
                    ),
                    "unexpected refusal {e:?} for {request:?}"
                );
                prop_assert_eq!(
                    &rights(env, b, &users, &tenants).await,
                    &before,
                    "a refused change changed rights"
                );
            }
        }
    }
    Ok(())
}

#[allow(clippy::result_large_err)] // proptest's own error type
async fn no_accepted_change_grants_what_the_principal_lacks(env: Env) {
    let accepted = AtomicUsize::new(0);
    let counter = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    });
    let handle = tokio::runtime::Handle::current();
    let result = tokio::task::block_in_place(|| {
        runner.run(&case(), |case| {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            handle.block_on(run_case(&env, n, &case, &accepted))
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(
        accepted.load(Ordering::Relaxed) > 20,
        "too few accepted changes to mean anything"
    );
}
