//! The dashboard at 100k users, as a browser gets it: HTML over HTTP on loopback, signed in
//! by session cookie: the Users page with a status filter (first page, a deep keyset page,
//! the pending users with their invitations) and a search; a user's page; the groups; the
//! audit log. The page carries its total count and the group and tenant
//! filter lists (500 groups, 200 tenants), so this is the whole page's cost.
//!
//! `cargo bench -p gatehouse-web --bench users_page` (SQLite). Prints criterion's figures;
//! asserts nothing about time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use gatehouse_domain::audit::RequestContext;
use gatehouse_domain::catalog::PermissionKey;
use gatehouse_domain::grants::Grants;
use gatehouse_domain::model::GroupKind;
use gatehouse_domain::page::encode_cursor;
use gatehouse_domain::principal::{GroupsManage, Principal, UsersManage};
use gatehouse_domain::services::{NewGroup, NewUser};
use gatehouse_domain::types::{Description, DisplayName, Email, GroupName};
use gatehouse_store::testing::{SeedSpec, seed};
use gatehouse_web::testing::{TestDatabase, TestServer};

/// A served, seeded business and the cookie of a signed-in viewer of its users.
async fn world(db: TestDatabase) -> (TestServer, String) {
    let spec = SeedSpec {
        number: 0,
        pending_pct: 20,
        deactivated_pct: 20,
        ..SeedSpec::engine(100_000)
    };
    let seeded = seed(&db.url, &spec).await.unwrap();
    let business = seeded.business.parse().unwrap();
    let server = TestServer::builder()
        .database(Arc::new(db))
        .wall_clock()
        .start()
        .await
        .unwrap();
    let gh = &server.gh;
    // A viewer: a business group with `users.view` only, and a user in it.
    let op = Principal::Operator.operator().unwrap();
    let ctx = RequestContext::default();
    let group = gh
        .create_group(
            &op.in_business::<GroupsManage>(business),
            &ctx,
            NewGroup {
                name: GroupName::parse("Viewers").unwrap(),
                description: Description::parse("").unwrap(),
                kind: GroupKind::Business,
                tenants: vec![],
                grants: Grants {
                    business: ["users.view", "audit.view"]
                        .into_iter()
                        .map(|k| PermissionKey::parse(k).unwrap())
                        .collect(),
                    ..Grants::default()
                },
                acknowledge_sensitive: false,
            },
        )
        .await
        .unwrap();
    gh.create_user(
        &op.in_business::<UsersManage>(business),
        &ctx,
        NewUser {
            email: Email::parse("viewer@example.org").unwrap(),
            display_name: DisplayName::parse("Viewer").unwrap(),
            groups: vec![group.id],
        },
    )
    .await
    .unwrap();
    let session = server
        .accept_invitation("viewer@example.org", "violet kettle marches north")
        .await
        .unwrap();
    let cookie = format!("__Host-gh_session={}", session.token.encode());
    (server, cookie)
}

/// The id of the first user the Users page lists (for the user page's case).
fn first_user(
    rt: &tokio::runtime::Runtime,
    client: &reqwest::Client,
    base: &str,
    cookie: &str,
) -> String {
    let html = rt.block_on(async {
        client
            .get(format!("{base}/b/bench/admin/users"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    let marker = "<td class=\"lead\"><a href=\"";
    let rest = &html[html.find(marker).unwrap() + marker.len()..];
    let href = &rest[..rest.find('"').unwrap()];
    href.rsplit('/').next().unwrap().to_owned()
}

fn users_page(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(TestDatabase::sqlite()).unwrap();
    let (server, cookie) = rt.block_on(world(db));
    let base = &server.base;
    let client = reqwest::Client::new();
    let deep = encode_cursor("user0080000@example.com");
    let cases = [
        ("status_active_first_page", "status=active".to_owned()),
        (
            "status_active_deep_page",
            format!("status=active&cursor={deep}"),
        ),
        ("search_prefix", "q=user00123".to_owned()),
        ("status_pending_first_page", "status=pending".to_owned()),
    ];
    let mut group = c.benchmark_group("users_page_100k_http/sqlite");
    group.sample_size(20);
    let pages = cases
        .into_iter()
        .map(|(name, query)| (name.to_owned(), format!("users?{query}")))
        .chain([
            (
                "user_page".to_owned(),
                format!("users/{}", first_user(&rt, &client, base, &cookie)),
            ),
            ("groups_page".to_owned(), "groups".to_owned()),
            ("audit_page".to_owned(), "audit".to_owned()),
        ]);
    for (name, path) in pages {
        let url = format!("{base}/b/bench/admin/{path}");
        let get = || async {
            let res = client
                .get(&url)
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let html = res.text().await.unwrap();
            assert!(html.contains("</main>"));
        };
        rt.block_on(get());
        group.bench_function(name, |b| b.iter(|| rt.block_on(get())));
    }
    group.finish();
}

criterion_group!(benches, users_page);
criterion_main!(benches);
