//! Bulk import of 100,000 users (CSV, each in one or two of five groups, every new user
//! invited through the mail outbox with its audit event): the dry run, the real run, and the
//! same file again (every row a skip). Meanwhile another task invites one user at a time, as
//! requests do, and its latency shows whether the import starves other writers.
//! SQLite always; PostgreSQL when `GATEHOUSE_TEST_POSTGRES_URL` is set. Prints figures;
//! asserts only that the import did what it should.
//!
//! `cargo bench -p gatehouse-store --bench user_import` (`ROWS=…` to change the size)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gatehouse_domain::audit::RequestContext;
use gatehouse_domain::catalog::{Catalog, PermissionKey};
use gatehouse_domain::grants::Grants;
use gatehouse_domain::model::GroupKind;
use gatehouse_domain::principal::{GroupsManage, Principal, UsersManage};
use gatehouse_domain::services::{ImportFormat, NewGroup, NewUser};
use gatehouse_domain::types::{BusinessName, Description, DisplayName, Email, GroupName, Slug};
use gatehouse_domain::{Gatehouse, SystemClock};
use gatehouse_store::testing::bench::env_or;
use gatehouse_store::testing::{TestDatabase, Unavailable};

const GROUPS: [&str; 5] = ["Support", "Analysts", "Reviewers", "Developers", "Auditors"];

fn file(rows: usize) -> String {
    let mut f = String::with_capacity(rows * 60);
    f.push_str("email,name,groups\n");
    for i in 0..rows {
        let a = GROUPS[i % 5];
        if i % 3 == 0 {
            let b = GROUPS[(i / 5) % 5];
            f.push_str(&format!("person{i:06}@example.com,Person {i},{a};{b}\n"));
        } else {
            f.push_str(&format!("person{i:06}@example.com,Person {i},{a}\n"));
        }
    }
    f
}

async fn run(name: &str, db: TestDatabase, rows: usize) {
    let gh = Gatehouse::new(
        db.store.clone(),
        Arc::new(SystemClock),
        Arc::new(Catalog::default()),
    );
    let op = Principal::Operator.operator().unwrap();
    let ctx = RequestContext::default();
    let b = gh
        .create_business(
            &op,
            &ctx,
            BusinessName::parse("Bench").unwrap(),
            Slug::parse("bench").unwrap(),
        )
        .await
        .unwrap()
        .id;
    for g in GROUPS {
        let grants = Grants {
            live: [PermissionKey::parse("verification.view").unwrap()].into(),
            ..Grants::default()
        };
        let new = NewGroup {
            name: GroupName::parse(g).unwrap(),
            description: Description::parse("").unwrap(),
            kind: GroupKind::Business,
            tenants: vec![],
            grants,
            acknowledge_sensitive: false,
        };
        gh.create_group(&op.in_business::<GroupsManage>(b), &ctx, new)
            .await
            .unwrap();
    }
    let access = op.in_business::<UsersManage>(b);
    let csv = file(rows);
    println!("{name}: {rows} rows, {} bytes", csv.len());

    let started = Instant::now();
    let dry = gh
        .import_users(
            &access,
            &ctx,
            ImportFormat::Csv,
            csv.as_bytes(),
            true,
            &|_| {},
        )
        .await
        .unwrap();
    println!("{name}: dry run {:.2} s", started.elapsed().as_secs_f64());
    assert_eq!(dry.counts.created, rows as u64);

    // Another writer, as requests are: one invitation at a time, latency recorded.
    let done = Arc::new(AtomicBool::new(false));
    let probe = {
        let (gh, access, done) = (gh.clone(), access.clone(), done.clone());
        tokio::spawn(async move {
            let mut times = Vec::new();
            let mut i = 0;
            while !done.load(Ordering::Relaxed) {
                let new = NewUser {
                    email: Email::parse(&format!("probe{i}@probe.test")).unwrap(),
                    display_name: DisplayName::parse("").unwrap(),
                    groups: vec![],
                };
                let t = Instant::now();
                gh.create_user(&access, &RequestContext::default(), new)
                    .await
                    .unwrap();
                times.push(t.elapsed());
                i += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            times
        })
    };
    let started = Instant::now();
    let real = gh
        .import_users(
            &access,
            &ctx,
            ImportFormat::Csv,
            csv.as_bytes(),
            false,
            &|_| {},
        )
        .await
        .unwrap();
    let took = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let mut times = probe.await.unwrap();
    times.sort();
    assert_eq!(real.rows, dry.rows);
    println!(
        "{name}: import {took:.2} s ({:.0} rows/s); {} single invitations meanwhile: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        rows as f64 / took,
        times.len(),
        pct(&times, 50),
        pct(&times, 99),
        times.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
    );

    let started = Instant::now();
    let again = gh
        .import_users(
            &access,
            &ctx,
            ImportFormat::Csv,
            csv.as_bytes(),
            false,
            &|_| {},
        )
        .await
        .unwrap();
    println!(
        "{name}: same file again (all skips) {:.2} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(again.counts.skipped, rows as u64);
}

fn pct(sorted: &[Duration], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) * p) / 100;
    sorted[i].as_secs_f64() * 1e3
}

fn main() {
    let rows = env_or("ROWS", 100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        run("sqlite", TestDatabase::sqlite().await.unwrap(), rows).await;
        match TestDatabase::postgres().await {
            Ok(db) => run("postgres", db, rows).await,
            Err(Unavailable::Skipped) => {
                println!("postgres: skipped (no GATEHOUSE_TEST_POSTGRES_URL)")
            }
            Err(Unavailable::Failed(e)) => panic!("PostgreSQL: {e}"),
        }
    });
}
