//! The users list at scale (100k users by default, `USERS=1000000` for the issue-14 goal):
//! every filter, sort and a deep page, each with its total, through the `Store`; first on the
//! freshly loaded database before any ANALYZE, then after the statistics refresh an import
//! does; and loading the access model (what a node does before it serves checks). Prints
//! p50/p99 per query; asserts only that each query found users. SQLite always; PostgreSQL
//! when `GATEHOUSE_TEST_POSTGRES_URL` is set.
//!
//! `cargo bench -p gatehouse-store --bench users_list` (`USERS=…`, `SAMPLES=…` per query)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::time::Instant;

use gatehouse_domain::authz::AccessSource;
use gatehouse_domain::authz::{PermissionIndex, Snapshot};
use gatehouse_domain::catalog::Catalog;
use gatehouse_domain::ids::{BusinessId, GroupId, TenantId};
use gatehouse_domain::model::UserStatus;
use gatehouse_domain::store::{CURSOR_SEPARATOR, Store, UserFilter, UserSort};
use gatehouse_store::testing::bench::{env_or, percentile};
use gatehouse_store::testing::{SeedSpec, TestDatabase, seed, seed_id};

struct Dataset {
    db: TestDatabase,
    business: BusinessId,
    group: GroupId,
    /// The groups covering the first tenant, as the domain resolves a tenant filter.
    covering: Vec<GroupId>,
}

async fn dataset(db: TestDatabase, users: usize) -> Dataset {
    let spec = SeedSpec {
        number: 0,
        pending_pct: 20,
        deactivated_pct: 20,
        // Measured first as bulk-loaded, never analysed.
        maintenance: false,
        ..SeedSpec::engine(users)
    };
    let started = Instant::now();
    let seeded = seed(&db.url, &spec).await.unwrap();
    println!(
        "{:?}: seeded {users} users in {:.1} s",
        db.backend,
        started.elapsed().as_secs_f64()
    );
    let business = seeded.business.parse().unwrap();
    let tenant: TenantId = seeded.tenants[0].parse().unwrap();
    let model = db.store.load_access_model(business).await.unwrap().unwrap();
    let perms = PermissionIndex::new(&Catalog::default());
    let covering = Snapshot::build(business, &model, &perms).groups_covering(tenant);
    Dataset {
        business,
        group: seeded.first_group.parse().unwrap(),
        covering,
        db,
    }
}

/// The queries measured: a label, the filter and the keyset position after which to start.
fn cases(data: &Dataset, users: usize) -> Vec<(&'static str, UserFilter, Option<String>)> {
    let deep = users * 4 / 5;
    let deep_email = format!("user{deep:07}@example.com");
    let status = |s| UserFilter {
        status: Some(s),
        ..Default::default()
    };
    let tenant = UserFilter {
        member_of_any: Some(data.covering.clone()),
        ..Default::default()
    };
    let group = UserFilter {
        group: Some(data.group),
        ..Default::default()
    };
    let sorted = |sort| UserFilter {
        sort,
        ..Default::default()
    };
    vec![
        ("unfiltered", UserFilter::default(), None),
        (
            "unfiltered, deep page",
            UserFilter::default(),
            Some(deep_email.clone()),
        ),
        ("status=active", status(UserStatus::Active), None),
        (
            "status=active, deep page",
            status(UserStatus::Active),
            Some(deep_email.clone()),
        ),
        ("status=pending", status(UserStatus::Pending), None),
        (
            "q=user00123 (prefix, few)",
            UserFilter {
                query: Some("user00123".into()),
                ..Default::default()
            },
            None,
        ),
        (
            "q=user0 (prefix, most)",
            UserFilter {
                query: Some("user0".into()),
                ..Default::default()
            },
            None,
        ),
        ("group", group.clone(), None),
        (
            "group, status=active",
            UserFilter {
                status: Some(UserStatus::Active),
                ..group.clone()
            },
            None,
        ),
        ("group, deep page", group, Some(deep_email.clone())),
        ("tenant", tenant.clone(), None),
        ("tenant, deep page", tenant.clone(), Some(deep_email)),
        (
            "tenant, status=active, sort=name",
            UserFilter {
                status: Some(UserStatus::Active),
                sort: UserSort::Name,
                ..tenant.clone()
            },
            None,
        ),
        (
            "tenant, exact total",
            UserFilter {
                exact_total: true,
                ..tenant
            },
            None,
        ),
        ("sort=name", sorted(UserSort::Name), None),
        (
            "sort=name, deep page",
            sorted(UserSort::Name),
            Some(format!(
                "person {deep}{CURSOR_SEPARATOR}{}",
                seed_id(3, deep as u128)
            )),
        ),
        ("sort=newest", sorted(UserSort::Newest), None),
        (
            "sort=oldest, deep page",
            sorted(UserSort::Oldest),
            Some(seed_id(3, deep as u128)),
        ),
    ]
}

async fn measure(data: &Dataset, users: usize, samples: usize, pass: &str) {
    println!(
        "\n{:?}, {users} users, {pass} ({samples} runs each; the exact total 3)",
        data.db.backend
    );
    println!("| query | total | first ms | p50 ms | p99 ms |");
    println!("|---|---|---|---|---|");
    for (label, filter, after) in cases(data, users) {
        // The exact total is counted on request only (no latency goal) and takes seconds
        // at 1M: three runs say enough.
        let runs = if filter.exact_total {
            samples.min(3)
        } else {
            samples
        };
        let mut times = Vec::with_capacity(runs);
        let mut shown = String::new();
        for _ in 0..runs {
            let started = Instant::now();
            let (page, total) = data
                .db
                .store
                .list_users(data.business, &filter, after.as_deref(), 51)
                .await
                .unwrap();
            times.push(started.elapsed());
            assert!(total.count > 0 && !page.is_empty(), "{label}: nobody");
            shown = if total.exact {
                total.count.to_string()
            } else {
                format!("about {}", total.count)
            };
        }
        let first = times[0].as_secs_f64() * 1e3;
        times.sort_unstable();
        println!(
            "| {label} | {shown} | {first:.2} | {:.2} | {:.2} |",
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
}

async fn access_model(data: &Dataset, users: usize) {
    let perms = PermissionIndex::new(&Catalog::default());
    let mut times = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let model = data
            .db
            .store
            .load_access_model(data.business)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            Snapshot::build(data.business, &model, &perms).user_count(),
            users
        );
        times.push(started.elapsed());
    }
    times.sort_unstable();
    println!(
        "{:?}: access model load + build, median of 3: {:.2} s",
        data.db.backend,
        times[1].as_secs_f64()
    );
}

async fn run(db: TestDatabase, users: usize, samples: usize) {
    let data = dataset(db, users).await;
    measure(
        &data,
        users,
        samples.div_ceil(10).max(5),
        "fresh: bulk-loaded, never analysed",
    )
    .await;
    // What the import does after a large load, and the migration path on start.
    data.db.store.refresh_statistics().await.unwrap();
    measure(&data, users, samples, "after the statistics refresh").await;
    access_model(&data, users).await;
}

fn main() {
    let users = env_or("USERS", 100_000);
    let samples = env_or("SAMPLES", 200);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        run(TestDatabase::sqlite().await.unwrap(), users, samples).await;
        match TestDatabase::postgres().await {
            Ok(db) => run(db, users, samples).await,
            Err(_) => {
                eprintln!("notice: GATEHOUSE_TEST_POSTGRES_URL not set; PostgreSQL figures skipped")
            }
        }
    });
}
