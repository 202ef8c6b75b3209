//! The users list at 100k users — a filtered first page, a deep keyset page, search, group
//! and tenant filters, each with its total count — and loading the access model of a 100k-user
//! business (what a node does before it serves checks). SQLite always; PostgreSQL when
//! `GATEHOUSE_TEST_POSTGRES_URL` is set.
//!
//! `cargo bench -p gatehouse-store --bench users_list`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use gatehouse_domain::authz::AccessSource;
use gatehouse_domain::authz::{PermissionIndex, Snapshot};
use gatehouse_domain::catalog::Catalog;
use gatehouse_domain::ids::{BusinessId, GroupId, TenantId};
use gatehouse_domain::model::UserStatus;
use gatehouse_domain::store::{Store, UserFilter};
use gatehouse_store::testing::{SeedSpec, TestDatabase, seed};

struct Dataset {
    store: Arc<gatehouse_store::SqlStore>,
    business: BusinessId,
    group: GroupId,
    /// The groups covering the first tenant, as the domain resolves a tenant filter.
    covering: Vec<GroupId>,
    _db: TestDatabase,
}

async fn dataset(db: TestDatabase) -> Dataset {
    let spec = SeedSpec {
        pending_pct: 20,
        deactivated_pct: 20,
        ..SeedSpec::engine(100_000)
    };
    let seeded = seed(&db.url, &spec).await.unwrap();
    let business = seeded.business.parse().unwrap();
    let tenant: TenantId = seeded.tenants[0].parse().unwrap();
    let model = db.store.load_access_model(business).await.unwrap().unwrap();
    let perms = PermissionIndex::new(&Catalog::default());
    let covering = Snapshot::build(business, &model, &perms).groups_covering(tenant);
    Dataset {
        store: db.store.clone(),
        business,
        group: seeded.first_group.parse().unwrap(),
        covering,
        _db: db,
    }
}

fn bench_backend(c: &mut Criterion, name: &str, rt: &tokio::runtime::Runtime, data: &Dataset) {
    let mut group = c.benchmark_group(format!("users_list_100k/{name}"));
    group.sample_size(20);
    let cases: Vec<(&str, UserFilter, Option<&str>)> = vec![
        ("first_page_unfiltered", UserFilter::default(), None),
        (
            "status_active",
            UserFilter {
                status: Some(UserStatus::Active),
                ..Default::default()
            },
            None,
        ),
        (
            "status_active_deep_page",
            UserFilter {
                status: Some(UserStatus::Active),
                ..Default::default()
            },
            Some("user0080000@example.com"),
        ),
        (
            "search_prefix",
            UserFilter {
                query: Some("user00123".into()),
                ..Default::default()
            },
            None,
        ),
        (
            "group_members",
            UserFilter {
                group: Some(data.group),
                ..Default::default()
            },
            None,
        ),
        (
            "tenant_access",
            UserFilter {
                member_of_any: Some(data.covering.clone()),
                ..Default::default()
            },
            None,
        ),
    ];
    for (label, filter, after) in cases {
        group.bench_function(label, |b| {
            b.to_async(rt).iter(|| async {
                let (users, total) = data
                    .store
                    .list_users(data.business, &filter, after, 51)
                    .await
                    .unwrap();
                assert!(total > 0 && !users.is_empty());
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group(format!("access_model_100k/{name}"));
    group.sample_size(10);
    let perms = PermissionIndex::new(&Catalog::default());
    group.bench_function("load_and_build_snapshot", |b| {
        b.to_async(rt).iter(|| async {
            let model = data
                .store
                .load_access_model(data.business)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                Snapshot::build(data.business, &model, &perms).user_count(),
                100_000
            );
        })
    });
    group.finish();
}

fn users_list(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sqlite = rt.block_on(async { dataset(TestDatabase::sqlite().await.unwrap()).await });
    bench_backend(c, "sqlite", &rt, &sqlite);
    match rt.block_on(TestDatabase::postgres()) {
        Ok(db) => {
            let pg = rt.block_on(dataset(db));
            bench_backend(c, "postgres", &rt, &pg);
        }
        Err(_) => {
            eprintln!("notice: GATEHOUSE_TEST_POSTGRES_URL not set; PostgreSQL figures skipped")
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(std::time::Duration::from_secs(4));
    targets = users_list
}
criterion_main!(benches);
