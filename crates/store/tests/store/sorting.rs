//! Every order of the user listing pages through everyone exactly once, in that order, even
//! when display names repeat.

use gatehouse_domain::model::User;
use gatehouse_domain::principal::{UsersManage, UsersView};
use gatehouse_domain::services::NewUser;
use gatehouse_domain::store::{UserFilter, UserSort};
use gatehouse_domain::types::{DisplayName, Email};

use crate::harness::Env;

crate::backend_tests!(every_order_pages_through_everyone_once);

async fn every_order_pages_through_everyone_once(env: Env) {
    let b = env.business("acme").await;
    let manage = env.access::<UsersManage>(b.id);
    // Repeated names (ties broken by id), mixed case, an empty one.
    let names = ["Dana", "alex", "Dana", "Bea", "", "carl", "Dana", "bea"];
    for (i, name) in names.iter().enumerate() {
        let new = NewUser {
            email: Email::parse(&format!("u{}@example.com", (i * 7) % 10)).unwrap(),
            display_name: DisplayName::parse(name).unwrap(),
            groups: vec![],
        };
        env.gh.create_user(&manage, &env.ctx, new).await.unwrap();
        env.clock.advance(time::Duration::seconds(1));
    }
    let view = env.access::<UsersView>(b.id);
    let all = env
        .gh
        .list_users(&view, &UserFilter::default(), None, 100)
        .await
        .unwrap()
        .items;
    let expected = |sort: UserSort| -> Vec<User> {
        let mut users = all.clone();
        let name = |u: &User| u.display_name.as_str().to_lowercase();
        match sort {
            UserSort::Email | UserSort::EmailDesc => users.sort_by_key(|u| u.email.clone()),
            UserSort::Name | UserSort::NameDesc => users.sort_by_key(|u| (name(u), u.id)),
            UserSort::Newest | UserSort::Oldest => users.sort_by_key(|u| u.id),
        }
        if matches!(
            sort,
            UserSort::EmailDesc | UserSort::NameDesc | UserSort::Newest
        ) {
            users.reverse();
        }
        users
    };
    for sort in UserSort::ALL {
        let filter = UserFilter {
            sort,
            ..UserFilter::default()
        };
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            // Pages of three: every boundary falls somewhere, including inside a run of "dana".
            let page = env
                .gh
                .list_users(&view, &filter, cursor.as_deref(), 3)
                .await
                .unwrap();
            assert_eq!(page.total, Some(names.len() as i64));
            seen.extend(page.items);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let ids = |users: &[User]| users.iter().map(|u| u.id).collect::<Vec<_>>();
        assert_eq!(ids(&seen), ids(&expected(sort)), "{sort:?}");
        assert_eq!(sort, UserSort::parse(sort.as_str()).unwrap());
    }
    // A name cursor must carry its id.
    let filter = UserFilter {
        sort: UserSort::Name,
        ..UserFilter::default()
    };
    let bad = gatehouse_domain::page::encode_cursor("dana");
    assert_eq!(
        env.gh
            .list_users(&view, &filter, Some(&bad), 3)
            .await
            .unwrap_err()
            .code(),
        "invalid_cursor"
    );
}
