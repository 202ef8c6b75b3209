//! Users: creation, uniqueness, filters, keyset pagination, versions, isolation.

use gatehouse_domain::grants::Grants;
use gatehouse_domain::model::{GroupKind, UserStatus};
use gatehouse_domain::principal::{GroupsManage, UsersManage, UsersView};
use gatehouse_domain::services::{NewGroup, NewUser, Precondition, UserPatch};
use gatehouse_domain::store::UserFilter;
use gatehouse_domain::types::{Description, DisplayName, Email, GroupName};

use crate::harness::Env;

pub(crate) fn new_user(email: &str, name: &str) -> NewUser {
    NewUser {
        email: Email::parse(email).unwrap(),
        display_name: DisplayName::parse(name).unwrap(),
        groups: vec![],
    }
}

crate::backend_tests!(
    create_and_read_back,
    email_unique_ignoring_case,
    filters_and_pagination,
    stale_version_changes_nothing,
    other_business_sees_nothing,
);

async fn create_and_read_back(env: Env) {
    let b = env.business("acme").await;
    let u = env
        .gh
        .create_user(
            &env.access::<UsersManage>(b.id),
            &env.ctx,
            new_user("Dana@Example.com", "Dana K"),
        )
        .await
        .unwrap();
    assert_eq!(u.status, UserStatus::Pending);
    let got = env
        .gh
        .get_user(&env.access::<UsersView>(b.id), u.id)
        .await
        .unwrap();
    assert_eq!(got, u);
    assert_eq!(got.email.as_str(), "dana@example.com");
}

async fn email_unique_ignoring_case(env: Env) {
    let b = env.business("acme").await;
    let manage = env.access::<UsersManage>(b.id);
    env.gh
        .create_user(&manage, &env.ctx, new_user("dana@example.com", ""))
        .await
        .unwrap();
    let err = env
        .gh
        .create_user(&manage, &env.ctx, new_user("DANA@example.com", ""))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "email_taken");
    // The same email in another business is another person.
    let other = env.business("globex").await;
    env.gh
        .create_user(
            &env.access::<UsersManage>(other.id),
            &env.ctx,
            new_user("dana@example.com", ""),
        )
        .await
        .unwrap();
}

async fn filters_and_pagination(env: Env) {
    let b = env.business("acme").await;
    let t1 = env.tenant(b.id, "eu").await;
    let t2 = env.tenant(b.id, "us").await;
    let manage = env.access::<UsersManage>(b.id);
    let view = env.access::<UsersView>(b.id);
    let group = |name: &str, kind, tenants| NewGroup {
        name: GroupName::parse(name).unwrap(),
        description: Description::parse("").unwrap(),
        kind,
        tenants,
        grants: Grants::default(),
        acknowledge_sensitive: false,
    };
    let eu = env
        .gh
        .create_group(
            &env.access::<GroupsManage>(b.id),
            &env.ctx,
            group("EU team", GroupKind::Tenants, vec![t1.id]),
        )
        .await
        .unwrap();
    let all = env
        .gh
        .create_group(
            &env.access::<GroupsManage>(b.id),
            &env.ctx,
            group("Admins", GroupKind::Business, vec![]),
        )
        .await
        .unwrap();
    for i in 0..25 {
        let mut u = new_user(
            &format!("user{i:02}@example.com"),
            &format!("Person {i:02}"),
        );
        if i % 5 == 0 {
            u.groups = vec![eu.id];
        }
        if i == 7 {
            u.groups = vec![all.id];
        }
        env.gh.create_user(&manage, &env.ctx, u).await.unwrap();
    }
    env.gh
        .create_user(&manage, &env.ctx, new_user("zed@other.org", "Anna Zed"))
        .await
        .unwrap();

    // Keyset pages cover everyone exactly once, in email order, with a stable total.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = env
            .gh
            .list_users(&view, &UserFilter::default(), cursor.as_deref(), 10)
            .await
            .unwrap();
        assert_eq!(page.total, Some(26));
        seen.extend(page.items.iter().map(|u| u.email.to_string()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
    assert_eq!(seen.len(), 26);

    let count = |f: UserFilter| {
        let gh = env.gh.clone();
        let view = env.access::<UsersView>(b.id);
        async move {
            gh.list_users(&view, &f, None, 100)
                .await
                .unwrap()
                .total
                .unwrap()
        }
    };
    assert_eq!(
        count(UserFilter {
            group: Some(eu.id),
            ..Default::default()
        })
        .await,
        5
    );
    // Tenant eu: the EU group's five and the business group's one; tenant us: only the latter.
    assert_eq!(
        count(UserFilter {
            tenant: Some(t1.id),
            ..Default::default()
        })
        .await,
        6
    );
    assert_eq!(
        count(UserFilter {
            tenant: Some(t2.id),
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        count(UserFilter {
            query: Some("USER1".into()),
            ..Default::default()
        })
        .await,
        10
    );
    assert_eq!(
        count(UserFilter {
            query: Some("anna".into()),
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        count(UserFilter {
            query: Some("%".into()),
            ..Default::default()
        })
        .await,
        0
    );
    assert_eq!(
        count(UserFilter {
            query: Some("' OR 1=1 --".into()),
            ..Default::default()
        })
        .await,
        0
    );
    assert_eq!(
        count(UserFilter {
            status: Some(UserStatus::Pending),
            ..Default::default()
        })
        .await,
        26
    );
    assert_eq!(
        count(UserFilter {
            status: Some(UserStatus::Active),
            ..Default::default()
        })
        .await,
        0
    );

    // Groups come back with each user.
    let page = env
        .gh
        .list_users(
            &view,
            &UserFilter {
                group: Some(eu.id),
                ..Default::default()
            },
            None,
            100,
        )
        .await
        .unwrap();
    assert!(
        page.items
            .iter()
            .all(|u| u.groups.len() == 1 && u.groups[0].id == eu.id)
    );
}

async fn stale_version_changes_nothing(env: Env) {
    let b = env.business("acme").await;
    let manage = env.access::<UsersManage>(b.id);
    let u = env
        .gh
        .create_user(&manage, &env.ctx, new_user("dana@example.com", "Dana"))
        .await
        .unwrap();
    let patch = |name: &str| UserPatch {
        display_name: Some(DisplayName::parse(name).unwrap()),
        groups: None,
    };
    let v2 = env
        .gh
        .update_user(
            &manage,
            &env.ctx,
            u.id,
            patch("Dana K"),
            Precondition {
                if_match: Some(1),
                version: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    let err = env
        .gh
        .update_user(
            &manage,
            &env.ctx,
            u.id,
            patch("Mallory"),
            Precondition {
                if_match: None,
                version: Some(1),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "version_conflict");
    let err = env
        .gh
        .update_user(
            &manage,
            &env.ctx,
            u.id,
            patch("Mallory"),
            Precondition {
                if_match: Some(1),
                version: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "precondition_failed");
    let now = env
        .gh
        .get_user(&env.access::<UsersView>(b.id), u.id)
        .await
        .unwrap();
    assert_eq!(now.display_name.as_str(), "Dana K");
    assert_eq!(now.version, 2);
}

async fn other_business_sees_nothing(env: Env) {
    let a = env.business("acme").await;
    let b = env.business("globex").await;
    let u = env
        .gh
        .create_user(
            &env.access::<UsersManage>(a.id),
            &env.ctx,
            new_user("dana@example.com", ""),
        )
        .await
        .unwrap();
    assert_eq!(
        env.gh
            .get_user(&env.access::<UsersView>(b.id), u.id)
            .await
            .unwrap_err()
            .code(),
        "user_not_found"
    );
    let err = env
        .gh
        .deactivate_user(
            &env.access::<UsersManage>(b.id),
            &env.ctx,
            u.id,
            Precondition::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "user_not_found");
    let page = env
        .gh
        .list_users(
            &env.access::<UsersView>(b.id),
            &UserFilter::default(),
            None,
            50,
        )
        .await
        .unwrap();
    assert_eq!(page.total, Some(0));
}
