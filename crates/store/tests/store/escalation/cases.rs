//! Escalation scenarios worth stating on their own.

use gatehouse_domain::catalog::PermissionKey;
use gatehouse_domain::grants::Grants;
use gatehouse_domain::ids::TenantId;
use gatehouse_domain::model::GroupKind;
use gatehouse_domain::principal::{GroupsManage, Principal, UsersManage};
use gatehouse_domain::services::{NewGroup, NewUser};
use gatehouse_domain::types::{DisplayName, Email, GroupName};

use crate::harness::Env;

use super::*;

crate::backend_tests!(tenant_rights_do_not_make_business_wide_grants);

/// A user who holds a permission only through a tenants group holds it in those tenants,
/// not business-wide: they cannot grant it business-wide, nor in another tenant, but can
/// within their tenants.
async fn tenant_rights_do_not_make_business_wide_grants(env: Env) {
    let catalog = env.gh.catalog().clone();
    let b = env.business("acme").await.id;
    let eu = env.tenant(b, "eu").await.id;
    let us = env.tenant(b, "us").await.id;
    let op = env.access::<GroupsManage>(b);
    let analytics = || Grants {
        live: [PermissionKey::parse("analytics").unwrap()].into(),
        ..Grants::default()
    };
    let admin = RandomGrants {
        business: 0,
        live: 0,
        sandbox: 0,
    };
    let mut admin = new_group(&catalog, "Admins", true, &[], &admin, &[eu]);
    admin.grants.business = ["groups.manage", "users.manage"]
        .iter()
        .map(|k| PermissionKey::parse(k).unwrap())
        .collect();
    let admin = env.gh.create_group(&op, &env.ctx, admin).await.unwrap().id;
    let eu_group = NewGroup {
        kind: GroupKind::Tenants,
        tenants: vec![eu],
        grants: analytics(),
        ..new_group(
            &catalog,
            "EU",
            false,
            &[eu],
            &RandomGrants {
                business: 0,
                live: 0,
                sandbox: 0,
            },
            &[eu],
        )
    };
    let eu_group = env
        .gh
        .create_group(&op, &env.ctx, eu_group)
        .await
        .unwrap()
        .id;
    let new = NewUser {
        email: Email::parse("me@acme.test").unwrap(),
        display_name: DisplayName::parse("").unwrap(),
        groups: vec![admin, eu_group],
    };
    let me = env
        .gh
        .create_user(&env.access::<UsersManage>(b), &env.ctx, new)
        .await
        .unwrap()
        .id;
    env.gh.activate_user(&env.ctx, b, me).await.unwrap();
    env.gh
        .set_mfa_enrolled(&env.ctx, b, me, true)
        .await
        .unwrap();
    let principal = Principal::User {
        id: me,
        business_id: b,
        email: Email::parse("me@acme.test").unwrap(),
        snapshot: super::snapshot_of(&env, b).await,
        perms: env.gh.engine().permissions_shared(),
        now: env.gh.now(),
    };
    let access = principal.authorize::<GroupsManage>().unwrap();
    let with = |kind, tenants: Vec<TenantId>, name: &str| NewGroup {
        kind,
        tenants,
        grants: analytics(),
        name: GroupName::parse(name).unwrap(),
        ..new_group(
            &catalog,
            name,
            true,
            &[],
            &RandomGrants {
                business: 0,
                live: 0,
                sandbox: 0,
            },
            &[eu],
        )
    };
    let err = env
        .gh
        .create_group(
            &access,
            &env.ctx,
            with(GroupKind::Business, vec![], "Everywhere"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "would_escalate");
    let err = env
        .gh
        .create_group(&access, &env.ctx, with(GroupKind::Tenants, vec![us], "US"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "would_escalate");
    env.gh
        .create_group(
            &access,
            &env.ctx,
            with(GroupKind::Tenants, vec![eu], "EU 2"),
        )
        .await
        .unwrap();
}
