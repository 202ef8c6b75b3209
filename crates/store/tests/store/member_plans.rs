//! A listing narrowed to members finds them either way — gathered from the membership index
//! or probed user by user in the listing's order (the store picks by how many there are) —
//! and both ways give the same pages, in every order, with and without a cursor.

use gatehouse_domain::ids::GroupId;
use gatehouse_domain::model::UserStatus;
use gatehouse_domain::principal::UsersView;
use gatehouse_domain::store::{UserFilter, UserSort};
use gatehouse_store::testing::{Members, SeedSpec, Seeded, page_ids, seed};

use crate::harness::Env;

crate::backend_tests!(
    gathered_and_probed_members_list_the_same_pages,
    a_large_group_alone_is_estimated_and_exact_on_request,
    a_group_and_a_tenant_together_list_the_members_of_both
);

async fn gathered_and_probed_members_list_the_same_pages(env: Env) {
    let spec = SeedSpec {
        number: 0,
        pending_pct: 20,
        deactivated_pct: 20,
        ..SeedSpec::engine(3_000)
    };
    let seeded = seed(&env.db.url, &spec).await.unwrap();
    let b = seeded.business.parse().unwrap();
    let group: GroupId = seeded.first_group.parse().unwrap();
    let covering = covering_first_tenant(&seeded);
    let view = env.access::<UsersView>(b);
    for sort in UserSort::ALL {
        for (name, filter) in [
            (
                "group",
                UserFilter {
                    group: Some(group),
                    sort,
                    ..Default::default()
                },
            ),
            (
                "tenant, active",
                UserFilter {
                    member_of_any: Some(covering.clone()),
                    status: Some(UserStatus::Active),
                    sort,
                    ..Default::default()
                },
            ),
            (
                "tenant, search",
                UserFilter {
                    member_of_any: Some(covering.clone()),
                    query: Some("user00".into()),
                    sort,
                    ..Default::default()
                },
            ),
            (
                "no group",
                UserFilter {
                    member_of_any: Some(vec![]),
                    sort,
                    ..Default::default()
                },
            ),
        ] {
            // Page through with the store's own choice; each page, both ways, is the same.
            let mut cursor: Option<String> = None;
            let mut pages = 0;
            loop {
                let page = env
                    .gh
                    .list_users(&view, &filter, cursor.as_deref(), 97)
                    .await
                    .unwrap();
                let listed: Vec<String> = page.items.iter().map(|u| u.id.to_string()).collect();
                let after = cursor
                    .as_deref()
                    .map(|c| gatehouse_domain::page::decode_cursor(c).unwrap());
                let store = &env.db.store;
                let gathered = page_ids(store, b, &filter, Members::Gather, after.as_deref(), 97)
                    .await
                    .unwrap();
                let probed = page_ids(store, b, &filter, Members::Probe, after.as_deref(), 97)
                    .await
                    .unwrap();
                assert_eq!(gathered, probed, "{name}, {sort:?}, page {pages}");
                assert_eq!(gathered, listed, "{name}, {sort:?}, page {pages}");
                pages += 1;
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            if name == "no group" {
                assert_eq!(pages, 1);
            } else {
                assert!(pages > 1, "{name}: only {pages} page(s)");
            }
        }
    }
}

/// A group of more members than the plan counts (every user of a 3,000-user business): its
/// total is an estimate said to be one, exact on request; a small group's is exact.
async fn a_large_group_alone_is_estimated_and_exact_on_request(env: Env) {
    let seeded = seed(&env.db.url, &SeedSpec::engine(3_000)).await.unwrap();
    let b: gatehouse_domain::ids::BusinessId = seeded.business.parse().unwrap();
    let group: GroupId = seeded.first_group.parse().unwrap();
    let pool = sqlx::AnyPool::connect(&env.db.url).await.unwrap();
    sqlx::query(
        "INSERT INTO group_members (group_id, user_id, business_id, created_at) \
         SELECT $1, id, business_id, 0 FROM users WHERE business_id = $2 \
         ON CONFLICT (group_id, user_id) DO NOTHING",
    )
    .bind(group.to_string())
    .bind(b.to_string())
    .execute(&pool)
    .await
    .unwrap();
    let view = env.access::<UsersView>(b);
    let mut filter = UserFilter {
        group: Some(group),
        ..Default::default()
    };
    let page = env.gh.list_users(&view, &filter, None, 50).await.unwrap();
    assert!(page.total_estimated, "{:?}", page.total);
    assert_eq!(page.total, Some(3_000), "the sample is every user here");
    filter.exact_total = true;
    let page = env.gh.list_users(&view, &filter, None, 50).await.unwrap();
    assert_eq!((page.total, page.total_estimated), (Some(3_000), false));
    let small = UserFilter {
        group: Some(seeded.groups[1].parse().unwrap()),
        ..Default::default()
    };
    let page = env.gh.list_users(&view, &small, None, 50).await.unwrap();
    let members: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM group_members WHERE group_id = $1")
        .bind(seeded.groups[1].clone())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((page.total, page.total_estimated), (Some(members), false));
}

/// `group=` and `tenant=` together: the members of the group who also have access in the
/// tenant (through one of its covering groups), whichever way the members are found.
async fn a_group_and_a_tenant_together_list_the_members_of_both(env: Env) {
    let seeded = seed(&env.db.url, &SeedSpec::engine(3_000)).await.unwrap();
    let b: gatehouse_domain::ids::BusinessId = seeded.business.parse().unwrap();
    let group: GroupId = seeded.first_group.parse().unwrap();
    let others: Vec<GroupId> = covering_first_tenant(&seeded)
        .into_iter()
        .filter(|g| *g != group)
        .collect();
    let pool = sqlx::AnyPool::connect(&env.db.url).await.unwrap();
    let mut sql = String::from(
        "SELECT DISTINCT a.user_id FROM group_members a JOIN group_members o \
         ON o.user_id = a.user_id WHERE a.group_id = $1 AND o.group_id IN (",
    );
    for (i, g) in others.iter().enumerate() {
        sql.push_str(&format!("{}'{g}'", if i > 0 { ", " } else { "" }));
    }
    sql.push(')');
    let mut expected: Vec<String> = sqlx::query_scalar(&sql)
        .bind(group.to_string())
        .fetch_all(&pool)
        .await
        .unwrap();
    expected.sort();
    let in_group: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM group_members WHERE group_id = $1")
            .bind(group.to_string())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        !expected.is_empty() && (expected.len() as i64) < in_group,
        "the seed gives a proper subset: {} of {in_group}",
        expected.len()
    );
    let filter = UserFilter {
        group: Some(group),
        member_of_any: Some(others),
        sort: UserSort::Oldest,
        ..Default::default()
    };
    let view = env.access::<UsersView>(b);
    let page = env
        .gh
        .list_users(&view, &filter, None, 1_000)
        .await
        .unwrap();
    let mut listed: Vec<String> = page.items.iter().map(|u| u.id.to_string()).collect();
    listed.sort();
    assert_eq!(listed, expected);
    assert_eq!(
        (page.total, page.total_estimated),
        (Some(expected.len() as i64), false)
    );
    for members in [Members::Gather, Members::Probe] {
        let mut ids = page_ids(&env.db.store, b, &filter, members, None, 1_000)
            .await
            .unwrap();
        ids.sort();
        assert_eq!(ids, expected, "{members:?}");
    }
}

/// A tenant filter as the domain hands it to the store: the groups covering the seed's first
/// tenant (the first group and every business-wide one).
pub(crate) fn covering_first_tenant(seeded: &Seeded) -> Vec<GroupId> {
    seeded
        .groups
        .iter()
        .enumerate()
        .filter(|(i, _)| *i == 0 || i % 5 == 4)
        .map(|(_, g)| g.parse().unwrap())
        .collect()
}
