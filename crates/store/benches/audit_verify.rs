//! Verifying a business's audit chain of 1,000,000 events read from the database, as
//! `gatehouse audit verify --business` does: the rows streamed in chain order, each checked
//! from its text. The events (shaped like the product's: a user changed by an administrator,
//! `before`/`after`, the request's context) are linked in memory and written straight into
//! `audit_events`. SQLite always; PostgreSQL when `GATEHOUSE_TEST_POSTGRES_URL` is set.
//!
//! `cargo bench -p gatehouse-store --bench audit_verify` (`EVENTS=…`, `RUNS=…`)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::time::Instant;

use gatehouse_domain::audit::{AuditEvent, AuditTarget};
use gatehouse_domain::audit_chain::{ChainHead, ChainVerifier, link};
use gatehouse_domain::clock::to_micros;
use gatehouse_domain::ids::{AuditEventId, BusinessId};
use gatehouse_domain::principal::{Actor, ActorKind};
use gatehouse_domain::store::Store;
use gatehouse_store::Backend;
use gatehouse_store::testing::bench::env_or;
use gatehouse_store::testing::{SeedSpec, TestDatabase, seed};
use serde_json::json;
use sqlx::AnyPool;

/// Rows per INSERT: 18 binds each, under every backend's bind limit.
const ROWS_PER_INSERT: usize = 1_000;

/// The `i`-th event of the business's chain, linked after `head`.
fn event(business: BusinessId, i: usize, head: &mut ChainHead) -> AuditEvent {
    let at = time::macros::datetime!(2026-11-29 09:00 UTC) + time::Duration::milliseconds(i as i64);
    let mut e = AuditEvent {
        id: AuditEventId::new(at),
        occurred_at: at,
        business_id: Some(business),
        actor: Actor {
            kind: ActorKind::User,
            id: Some("0193a4e0-0000-7000-8000-000000000001".into()),
            label: "admin@example.com".into(),
        },
        action: "user.updated".into(),
        target: AuditTarget {
            kind: "user".into(),
            id: format!("0193a4e0-0000-7000-8000-{i:012}"),
            label: format!("user{i}@example.com"),
        },
        before: Some(json!({ "display_name": "Dana", "groups": ["Support"], "version": 3 })),
        after: Some(
            json!({ "display_name": "Dana K.", "groups": ["Support", "Ops"], "version": 4 }),
        ),
        request_id: Some(format!("req-{i}")),
        client_ip: Some("203.0.113.7".into()),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64)".into()),
        chain: None,
    };
    link(&mut e, head);
    e
}

async fn write(pool: &AnyPool, backend: Backend, events: &[AuditEvent]) {
    const COLUMNS: usize = 18;
    // Each backend's own placeholders: numbered ones make SQLite's parse of an 18,000-bind
    // statement slow.
    let mark = |n: usize| match backend {
        Backend::Sqlite => "?".to_owned(),
        Backend::Postgres => format!("${n}"),
    };
    let rows: Vec<String> = (0..events.len())
        .map(|r| {
            let marks: Vec<String> = (1..=COLUMNS).map(|c| mark(r * COLUMNS + c)).collect();
            format!("({})", marks.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO audit_events (id, business_id, occurred_at, actor_kind, actor_id, actor_label, action, \
         target_kind, target_id, target_label, before_state, after_state, request_id, client_ip, user_agent, \
         chain_seq, chain_prev, chain_hash) VALUES {}",
        rows.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for e in events {
        let l = e.chain.clone().unwrap();
        q = q
            .bind(e.id.to_string())
            .bind(e.business_id.map(|b| b.to_string()))
            .bind(to_micros(e.occurred_at))
            .bind(e.actor.kind.as_str())
            .bind(e.actor.id.clone())
            .bind(e.actor.label.clone())
            .bind(e.action.clone())
            .bind(e.target.kind.clone())
            .bind(e.target.id.clone())
            .bind(e.target.label.clone())
            .bind(e.before.as_ref().map(ToString::to_string))
            .bind(e.after.as_ref().map(ToString::to_string))
            .bind(e.request_id.clone())
            .bind(e.client_ip.clone())
            .bind(e.user_agent.clone())
            .bind(l.seq)
            .bind(l.prev_hash)
            .bind(l.hash);
    }
    q.execute(pool).await.unwrap();
}

/// Reading the rows alone (no hashing), for the breakdown.
async fn read_only(pool: &AnyPool, business: BusinessId) -> usize {
    use futures_util::TryStreamExt;
    let mut rows = sqlx::query(
        "SELECT id, business_id, occurred_at, actor_kind, actor_id, actor_label, action, \
         target_kind, target_id, target_label, before_state, after_state, request_id, client_ip, user_agent, \
         chain_seq, chain_prev, chain_hash FROM audit_events WHERE business_id = $1 AND chain_seq IS NOT NULL \
         ORDER BY chain_seq, id",
    )
    .bind(business.to_string())
    .fetch(pool);
    let mut n = 0;
    while rows.try_next().await.unwrap().is_some() {
        n += 1;
    }
    n
}

async fn run(db: TestDatabase, events: usize, runs: usize) {
    let seeded = seed(&db.url, &SeedSpec::engine(10)).await.unwrap();
    let business: BusinessId = seeded.business.parse().unwrap();
    let pool = AnyPool::connect(&db.url).await.unwrap();
    let started = Instant::now();
    let mut head = ChainHead::genesis();
    let mut batch = Vec::with_capacity(ROWS_PER_INSERT);
    for i in 0..events {
        batch.push(event(business, i, &mut head));
        if batch.len() == ROWS_PER_INSERT || i + 1 == events {
            write(&pool, db.backend, &batch).await;
            batch.clear();
        }
    }
    println!(
        "{:?}: wrote {events} linked events in {:.1} s",
        db.backend,
        started.elapsed().as_secs_f64()
    );
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let mut verifier = ChainVerifier::new(None);
        db.store
            .walk_audit_chain(business, &mut verifier)
            .await
            .unwrap();
        let report = verifier.finish(Some(&head));
        times.push(started.elapsed().as_secs_f64());
        assert!(report.intact, "{report:?}");
    }
    times.sort_by(f64::total_cmp);
    let started = Instant::now();
    assert_eq!(read_only(&pool, business).await, events);
    println!(
        "{:?}: reading the {events} rows alone (no hashing): {:.2} s",
        db.backend,
        started.elapsed().as_secs_f64()
    );
    println!(
        "{:?}: verify {events} events from the database: best {:.2} s, median {:.2} s, worst {:.2} s ({runs} runs)",
        db.backend,
        times[0],
        times[times.len() / 2],
        times[times.len() - 1]
    );
}

fn main() {
    let events = env_or("EVENTS", 1_000_000);
    let runs = env_or("RUNS", 5);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        run(TestDatabase::sqlite().await.unwrap(), events, runs).await;
        match TestDatabase::postgres().await {
            Ok(db) => run(db, events, runs).await,
            Err(e) => println!("PostgreSQL skipped: {e:?}"),
        }
    });
}
