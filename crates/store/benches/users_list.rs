//! The users list at 100k users: a filtered first page and a deep keyset page, on SQLite
//! (always) and PostgreSQL (when `GATEHOUSE_TEST_POSTGRES_URL` is set).
//!
//! `cargo bench -p gatehouse-store --bench users_list`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use gatehouse_domain::ids::{BusinessId, GroupId, TenantId};
use gatehouse_domain::model::UserStatus;
use gatehouse_domain::store::{Store, UserFilter};
use gatehouse_store::testing::TestDatabase;
use sqlx::{AnyPool, Executor};

const USERS: usize = 100_000;
const GROUPS: usize = 50;

struct Dataset {
    store: Arc<gatehouse_store::SqlStore>,
    business: BusinessId,
    group: GroupId,
    tenant: TenantId,
    _db: TestDatabase,
}

/// Bulk-loads a business with 100k users in 50 groups (one user in ten is in one), two
/// tenants, one tenants group. Written with plain SQL: the point is reading, not writing.
async fn seed(db: TestDatabase) -> Dataset {
    let pool = AnyPool::connect(&db.url).await.unwrap();
    let id =
        |n: u128| uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n).to_string();
    let business = id(1);
    let (t1, t2) = (id(2), id(3));
    let mut tx = pool.begin().await.unwrap();
    tx.execute(format!("INSERT INTO businesses (id, slug, name, change_seq, created_at, updated_at) VALUES ('{business}', 'bench', 'Bench', 0, 0, 0)").as_str()).await.unwrap();
    for (t, slug) in [(&t1, "eu"), (&t2, "us")] {
        tx.execute(format!("INSERT INTO tenants (id, business_id, slug, name, created_at, updated_at) VALUES ('{t}', '{business}', '{slug}', '{slug}', 0, 0)").as_str()).await.unwrap();
    }
    for g in 0..GROUPS {
        let gid = id(1000 + g as u128);
        let kind = if g == 0 { "tenants" } else { "business" };
        tx.execute(format!("INSERT INTO access_groups (id, business_id, name, name_key, description, kind, version, created_at, updated_at) VALUES ('{gid}', '{business}', 'Group {g}', 'group {g}', '', '{kind}', 1, 0, 0)").as_str()).await.unwrap();
        if g == 0 {
            tx.execute(
                format!("INSERT INTO group_tenants (group_id, tenant_id) VALUES ('{gid}', '{t1}')")
                    .as_str(),
            )
            .await
            .unwrap();
        }
    }
    let statuses = ["active", "active", "active", "pending", "deactivated"];
    for chunk in (0..USERS).collect::<Vec<_>>().chunks(1000) {
        let mut users = String::from(
            "INSERT INTO users (id, business_id, email, display_name, name_key, status, mfa_enrolled, activated_at, version, created_at, updated_at) VALUES ",
        );
        let mut members = String::from(
            "INSERT INTO group_members (group_id, user_id, business_id, created_at) VALUES ",
        );
        let mut any_member = false;
        for (i, n) in chunk.iter().enumerate() {
            let uid = id(1_000_000 + *n as u128);
            let sep = if i == 0 { "" } else { "," };
            let status = statuses[n % statuses.len()];
            users.push_str(&format!("{sep}('{uid}', '{business}', 'user{n:06}@example.com', 'Person {n}', 'person {n}', '{status}', 0, NULL, 1, 0, 0)"));
            if n % 10 == 0 {
                let gid = id(1000 + ((n / 10) % GROUPS) as u128);
                members.push_str(&format!(
                    "{}('{gid}', '{uid}', '{business}', 0)",
                    if any_member { "," } else { "" }
                ));
                any_member = true;
            }
        }
        tx.execute(users.as_str()).await.unwrap();
        if any_member {
            tx.execute(members.as_str()).await.unwrap();
        }
    }
    tx.commit().await.unwrap();
    pool.execute("ANALYZE").await.unwrap();
    pool.close().await;
    Dataset {
        store: db.store.clone(),
        business: business.parse().unwrap(),
        group: id(1000).parse().unwrap(),
        tenant: t1.parse().unwrap(),
        _db: db,
    }
}

fn bench_backend(c: &mut Criterion, name: &str, rt: &tokio::runtime::Runtime, data: &Dataset) {
    let mut group = c.benchmark_group(format!("users_list_100k/{name}"));
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
            Some("user080000@example.com"),
        ),
        (
            "search_prefix",
            UserFilter {
                query: Some("user0123".into()),
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
                tenant: Some(data.tenant),
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
}

fn users_list(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sqlite = rt.block_on(async { seed(TestDatabase::sqlite().await.unwrap()).await });
    bench_backend(c, "sqlite", &rt, &sqlite);
    match rt.block_on(TestDatabase::postgres()) {
        Ok(db) => {
            let pg = rt.block_on(seed(db));
            bench_backend(c, "postgres", &rt, &pg);
        }
        Err(_) => {
            eprintln!("notice: GATEHOUSE_TEST_POSTGRES_URL not set; PostgreSQL figures skipped")
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = users_list
}
criterion_main!(benches);
