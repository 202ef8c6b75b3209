//! Groups: shape rules, grants round trip, members, deletion, tenant deletion guard.

use std::collections::BTreeSet;

use gatehouse_domain::catalog::PermissionKey;
use gatehouse_domain::grants::Grants;
use gatehouse_domain::model::{GroupKind, GroupScope};
use gatehouse_domain::principal::{GroupsManage, UsersManage, UsersView};
use gatehouse_domain::services::{GroupPatch, NewGroup, NewUser, Precondition};
use gatehouse_domain::types::{Description, DisplayName, Email, GroupName};

use crate::harness::Env;

fn keys(k: &[&str]) -> BTreeSet<PermissionKey> {
    k.iter().map(|s| PermissionKey::parse(s).unwrap()).collect()
}

fn group(
    name: &str,
    kind: GroupKind,
    tenants: Vec<gatehouse_domain::ids::TenantId>,
    grants: Grants,
) -> NewGroup {
    NewGroup {
        name: GroupName::parse(name).unwrap(),
        description: Description::parse("d").unwrap(),
        kind,
        tenants,
        grants,
        acknowledge_sensitive: false,
    }
}

crate::backend_tests!(
    grants_round_trip,
    shape_rules,
    name_unique_ignoring_case,
    members_and_delete,
    tenant_delete_guard
);

async fn grants_round_trip(env: Env) {
    let b = env.business("acme").await;
    let t = env.tenant(b.id, "eu").await;
    let grants = Grants {
        business: BTreeSet::new(),
        live: keys(&["verification.view"]),
        sandbox: keys(&["verification.view", "flow_builder"]),
    };
    let g = env
        .gh
        .create_group(
            &env.access::<GroupsManage>(b.id),
            &env.ctx,
            group(
                "Compliance UK",
                GroupKind::Tenants,
                vec![t.id],
                grants.clone(),
            ),
        )
        .await
        .unwrap();
    let got = env
        .gh
        .get_group(&env.access::<UsersView>(b.id), g.id)
        .await
        .unwrap();
    assert_eq!(got.grants, grants);
    assert_eq!(got.scope, GroupScope::Tenants([t.id].into()));
    assert_eq!(got, g);
    let listed = env
        .gh
        .list_groups(&env.access::<UsersView>(b.id))
        .await
        .unwrap();
    assert_eq!(listed, vec![g.clone()]);

    let admin = Grants {
        business: keys(&["users.manage", "groups.manage"]),
        live: BTreeSet::new(),
        sandbox: BTreeSet::new(),
    };
    let patch = GroupPatch {
        kind: Some(GroupKind::Business),
        tenants: Some(vec![]),
        grants: Some(admin.clone()),
        acknowledge_sensitive: true,
        ..Default::default()
    };
    let updated = env
        .gh
        .update_group(
            &env.access::<GroupsManage>(b.id),
            &env.ctx,
            g.id,
            patch,
            Precondition {
                if_match: Some(1),
                version: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.version, 2);
    let got = env
        .gh
        .get_group(&env.access::<UsersView>(b.id), g.id)
        .await
        .unwrap();
    assert_eq!(got.scope, GroupScope::Business);
    assert_eq!(got.grants, admin);
}

async fn shape_rules(env: Env) {
    let b = env.business("acme").await;
    let other = env.business("globex").await;
    let foreign = env.tenant(other.id, "x1").await;
    let t = env.tenant(b.id, "eu").await;
    let access = env.access::<GroupsManage>(b.id);
    let admin = Grants {
        business: keys(&["users.view"]),
        ..Default::default()
    };
    let cases = [
        (
            group("a", GroupKind::Tenants, vec![], Grants::default()),
            "empty_tenant_set",
        ),
        (
            group("b", GroupKind::Business, vec![t.id], Grants::default()),
            "tenant_set_on_business_group",
        ),
        (
            group("c", GroupKind::Tenants, vec![t.id], admin),
            "business_permission_on_tenant_group",
        ),
        (
            group("d", GroupKind::Tenants, vec![foreign.id], Grants::default()),
            "tenant_not_found",
        ),
        (
            group(
                "e",
                GroupKind::Business,
                vec![],
                Grants {
                    live: keys(&["users.view"]),
                    ..Default::default()
                },
            ),
            "permission_scope_mismatch",
        ),
        (
            group(
                "f",
                GroupKind::Business,
                vec![],
                Grants {
                    live: keys(&["made.up"]),
                    ..Default::default()
                },
            ),
            "unknown_permission",
        ),
    ];
    for (new, code) in cases {
        assert_eq!(
            env.gh
                .create_group(&access, &env.ctx, new)
                .await
                .unwrap_err()
                .code(),
            code
        );
    }
    assert!(
        env.gh
            .list_groups(&env.access::<UsersView>(b.id))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn name_unique_ignoring_case(env: Env) {
    let b = env.business("acme").await;
    let access = env.access::<GroupsManage>(b.id);
    env.gh
        .create_group(
            &access,
            &env.ctx,
            group(
                "Regional Admins",
                GroupKind::Business,
                vec![],
                Grants::default(),
            ),
        )
        .await
        .unwrap();
    let err = env
        .gh
        .create_group(
            &access,
            &env.ctx,
            group(
                "regional ADMINS",
                GroupKind::Business,
                vec![],
                Grants::default(),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "group_name_taken");
}

async fn members_and_delete(env: Env) {
    let b = env.business("acme").await;
    let access = env.access::<GroupsManage>(b.id);
    let g = env
        .gh
        .create_group(
            &access,
            &env.ctx,
            group("Ops", GroupKind::Business, vec![], Grants::default()),
        )
        .await
        .unwrap();
    let new_user = |e: &str| NewUser {
        email: Email::parse(e).unwrap(),
        display_name: DisplayName::parse("").unwrap(),
        groups: vec![],
    };
    let u1 = env
        .gh
        .create_user(
            &env.access::<UsersManage>(b.id),
            &env.ctx,
            new_user("a@example.com"),
        )
        .await
        .unwrap();
    let u2 = env
        .gh
        .create_user(
            &env.access::<UsersManage>(b.id),
            &env.ctx,
            new_user("b@example.com"),
        )
        .await
        .unwrap();
    let g = env
        .gh
        .add_group_members(&access, &env.ctx, g.id, &[u1.id, u2.id, u1.id])
        .await
        .unwrap();
    assert_eq!(g.member_count, 2);
    let members = env
        .gh
        .list_group_members(&env.access::<UsersView>(b.id), g.id, None, 10)
        .await
        .unwrap();
    assert_eq!(members.total, Some(2));
    assert_eq!(
        env.gh
            .delete_group(&access, &env.ctx, g.id, false)
            .await
            .unwrap_err()
            .code(),
        "group_has_members"
    );
    env.gh
        .remove_group_member(&access, &env.ctx, g.id, u1.id)
        .await
        .unwrap();
    assert_eq!(
        env.gh
            .remove_group_member(&access, &env.ctx, g.id, u1.id)
            .await
            .unwrap_err()
            .code(),
        "user_not_found"
    );
    env.gh
        .delete_group(&access, &env.ctx, g.id, true)
        .await
        .unwrap();
    assert_eq!(
        env.gh
            .get_group(&env.access::<UsersView>(b.id), g.id)
            .await
            .unwrap_err()
            .code(),
        "group_not_found"
    );
    let u2 = env
        .gh
        .get_user(&env.access::<UsersView>(b.id), u2.id)
        .await
        .unwrap();
    assert!(u2.groups.is_empty());
}

async fn tenant_delete_guard(env: Env) {
    let b = env.business("acme").await;
    let t = env.tenant(b.id, "eu").await;
    let g = env
        .gh
        .create_group(
            &env.access::<GroupsManage>(b.id),
            &env.ctx,
            group("EU", GroupKind::Tenants, vec![t.id], Grants::default()),
        )
        .await
        .unwrap();
    let err = env
        .gh
        .delete_tenant(&env.op, &env.ctx, b.id, t.id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "tenant_in_use");
    env.gh
        .delete_group(&env.access::<GroupsManage>(b.id), &env.ctx, g.id, false)
        .await
        .unwrap();
    env.gh
        .delete_tenant(&env.op, &env.ctx, b.id, t.id)
        .await
        .unwrap();
    assert!(
        env.gh
            .list_business_tenants(&env.op, b.id)
            .await
            .unwrap()
            .is_empty()
    );
}
