//! Ten thousand small businesses on one deployment (issue 14): how long a node takes to load
//! every access snapshot at start, what they weigh, and what the change feed costs when
//! nothing changes (each node polls ten times a second) against the scan of every business's
//! sequence it replaced; then how fast one change reaches a second node's engine.
//! SQLite always; PostgreSQL when `GATEHOUSE_TEST_POSTGRES_URL` is set.
//!
//! `cargo bench -p gatehouse-store --bench many_businesses` (`BUSINESSES=…`, `USERS=…`,
//! `PASSES=…`, `BACKEND=sqlite|postgres` for one)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::time::{Duration, Instant};

use gatehouse_domain::Gatehouse;
use gatehouse_domain::audit::RequestContext;
use gatehouse_domain::authz::{AccessEngine, AccessSource};
use gatehouse_domain::catalog::Catalog;
use gatehouse_domain::ids::BusinessId;
use gatehouse_domain::principal::Principal;
use gatehouse_domain::types::{Slug, TenantName};
use gatehouse_store::testing::bench::{env_or, percentile};
use gatehouse_store::testing::{TestDatabase, seed_many};

/// This process's resident memory, in MiB (`/proc/self/statm`).
fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: f64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096.0 / (1024.0 * 1024.0)
}

/// This process's CPU time so far (user + system), from `/proc/self/stat`, in clock ticks
/// of 10 ms.
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn percentiles(mut times: Vec<Duration>) -> String {
    times.sort();
    format!(
        "p50 {:.2} ms, p99 {:.2} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    )
}

async fn run(db: TestDatabase, businesses: u32, users: usize, passes: usize) {
    let backend = db.backend;
    let started = Instant::now();
    let seeded = seed_many(&db.url, businesses, users).await.unwrap();
    println!(
        "{backend:?}: seeded {businesses} businesses x {users} users in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let store = db.store.as_ref();

    let catalog = Catalog::default();
    let before = rss_mib();
    let engine = AccessEngine::new(&catalog);
    let started = Instant::now();
    let loaded = engine.load_all(store).await.unwrap();
    let took = started.elapsed();
    let grew = rss_mib() - before;
    println!(
        "{backend:?}: start-up: {loaded} snapshots loaded in {:.2} s; resident memory +{grew:.0} MiB ({:.0} bytes per user)",
        took.as_secs_f64(),
        grew * 1024.0 * 1024.0 / (f64::from(businesses) * users as f64)
    );

    // An idle pass: the scan every node made before, and the cursor's pass.
    engine.follow(store).await.unwrap();
    let mut scans = Vec::with_capacity(passes);
    for _ in 0..passes {
        let t = Instant::now();
        assert_eq!(store.list_change_seqs().await.unwrap().len(), loaded);
        scans.push(t.elapsed());
    }
    let mut follows = Vec::with_capacity(passes);
    let cpu = cpu_ticks();
    let t0 = Instant::now();
    for _ in 0..passes {
        let t = Instant::now();
        engine.follow(store).await.unwrap();
        follows.push(t.elapsed());
    }
    let wall = t0.elapsed();
    let ticks = cpu_ticks() - cpu;
    println!(
        "{backend:?}: idle pass, scanning every business's sequence: {}",
        percentiles(scans)
    );
    let cpu_per_pass = ticks as f64 * 10.0 / passes as f64;
    println!(
        "{backend:?}: idle pass, the feed's cursor: {}; this process's CPU {cpu_per_pass:.2} ms a pass ({:.1}% of a core at the default 10 passes a second; {passes} passes in {:.2} s)",
        percentiles(follows),
        cpu_per_pass,
        wall.as_secs_f64()
    );

    // One change through another node (a `Gatehouse` of its own on the same database), then
    // the pass that sees it here.
    let other = Gatehouse::new(
        db.store.clone(),
        std::sync::Arc::new(gatehouse_domain::SystemClock),
        std::sync::Arc::new(Catalog::default()),
    );
    let operator = Principal::Operator.operator().unwrap();
    let mut seen = Vec::new();
    for i in 0..50 {
        let business: BusinessId = seeded[i * seeded.len() / 50].business.parse().unwrap();
        other
            .create_tenant(
                &operator,
                &RequestContext::default(),
                business,
                TenantName::parse("Added").unwrap(),
                Slug::parse(&format!("added-{i}")).unwrap(),
            )
            .await
            .unwrap();
        let t = Instant::now();
        assert!(engine.follow(store).await.unwrap() >= 1);
        seen.push(t.elapsed());
    }
    println!(
        "{backend:?}: a pass that refreshes one changed business: {}",
        percentiles(seen)
    );
}

fn main() {
    let businesses = env_or("BUSINESSES", 10_000) as u32;
    let users = env_or("USERS", 100);
    let passes = env_or("PASSES", 200);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // BACKEND=sqlite or postgres for one of them.
    let only = std::env::var("BACKEND").unwrap_or_default();
    rt.block_on(async {
        if only != "postgres" {
            let db = TestDatabase::sqlite().await.unwrap();
            run(db, businesses, users, passes).await;
        }
        if only == "sqlite" {
            return;
        }
        match TestDatabase::postgres().await {
            Ok(db) => run(db, businesses, users, passes).await,
            Err(e) => println!("PostgreSQL skipped: {e:?}"),
        }
    });
}
