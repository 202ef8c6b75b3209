//! A listing narrowed to members finds them either way — gathered from the membership index
//! or probed user by user in the listing's order (the store picks by how many there are) —
//! and both ways give the same pages, in every order, with and without a cursor.

use gatehouse_domain::ids::GroupId;
use gatehouse_domain::model::UserStatus;
use gatehouse_domain::principal::UsersView;
use gatehouse_domain::store::{UserFilter, UserSort};
use gatehouse_store::testing::{Members, SeedSpec, Seeded, page_ids, seed};

use crate::harness::Env;

crate::backend_tests!(gathered_and_probed_members_list_the_same_pages);

async fn gathered_and_probed_members_list_the_same_pages(env: Env) {
    let spec = SeedSpec {
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
