//! The audit hash chain in the database: every event linked as it is written, appends
//! serialised per business under truly simultaneous writers on two nodes, pre-chain events
//! backfilled in order, and tampering by someone who can write the database — changing,
//! removing, reordering, inserting events, rewriting the whole chain — found at the exact
//! link.

use std::sync::Arc;

use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::audit_chain::{ChainHead, ChainProblem, ChainReport, link};
use gatehouse_domain::catalog::Catalog;
use gatehouse_domain::ids::{AuditEventId, BusinessId};
use gatehouse_domain::principal::{AuditView, UsersManage};
use gatehouse_domain::services::NewUser;
use gatehouse_domain::types::{DisplayName, Email};
use gatehouse_domain::{Clock, Gatehouse};
use gatehouse_store::{ConnectOptions, connect};
use sqlx::AnyPool;
use tokio::sync::Barrier;

use crate::harness::Env;

crate::backend_tests!(
    events_carry_their_links_and_verify,
    a_changed_event_is_found,
    a_removed_event_is_found,
    a_reordered_chain_is_found,
    inserted_events_are_found,
    a_rewritten_chain_is_found_against_a_published_head,
    simultaneous_writers_on_two_nodes_keep_one_chain,
    events_before_the_chain_are_backfilled_in_order,
    a_long_chain_is_walked_in_batches
);

fn new_user(i: usize) -> NewUser {
    NewUser {
        email: Email::parse(&format!("u{i}@example.com")).unwrap(),
        display_name: DisplayName::parse("").unwrap(),
        groups: vec![],
    }
}

/// A business with six events: `business.created` and five `user.created`.
async fn six_events(env: &Env, slug: &str) -> BusinessId {
    let b = env.business(slug).await;
    for i in 0..5 {
        env.gh
            .create_user(&env.access::<UsersManage>(b.id), &env.ctx, new_user(i))
            .await
            .unwrap();
    }
    b.id
}

async fn verify(env: &Env, b: BusinessId, published: Option<ChainHead>) -> ChainReport {
    env.gh
        .verify_audit_chain(&env.access::<AuditView>(b), published)
        .await
        .unwrap()
}

async fn chain(env: &Env, b: BusinessId) -> Vec<AuditEvent> {
    env.gh
        .list_audit_chain(&env.access::<AuditView>(b), None, 1000)
        .await
        .unwrap()
}

/// The database as someone with write access sees it: the append-only triggers off.
async fn attacker(env: &Env) -> AnyPool {
    let pool = AnyPool::connect(&env.db.url).await.unwrap();
    let disable: &[&str] = if env.db.url.starts_with("postgres") {
        &["ALTER TABLE audit_events DISABLE TRIGGER USER"]
    } else {
        &[
            "DROP TRIGGER audit_events_no_update",
            "DROP TRIGGER audit_events_no_delete",
            "DROP TRIGGER audit_events_link_once",
        ]
    };
    for sql in disable {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool
}

fn broken(report: &ChainReport) -> (i64, ChainProblem) {
    let b = report.first_break.as_ref().expect("a broken link");
    (b.seq, b.problem)
}

async fn events_carry_their_links_and_verify(env: Env) {
    let b = six_events(&env, "acme").await;
    let events = chain(&env, b).await;
    assert_eq!(events.len(), 6);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.chain.as_ref().unwrap().seq, i as i64 + 1);
    }
    assert_eq!(events[0].action, "business.created");
    let report = verify(&env, b, None).await;
    assert!(report.intact, "{report:?}");
    assert_eq!(report.events, 6);
    let head = env
        .gh
        .audit_chain_head(&env.access::<AuditView>(b))
        .await
        .unwrap();
    assert_eq!(report.head, head);
    assert_eq!(head.hash, events[5].chain.clone().unwrap().hash);
    // The newest-first listing carries the same links.
    let listed = env
        .gh
        .list_audit_events(&env.access::<AuditView>(b), Default::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(listed.items[0].chain, events[5].chain);
    // Publishing records the head as an event, linked after it.
    let published = env
        .gh
        .publish_audit_chain_head(&env.access::<AuditView>(b), &env.ctx)
        .await
        .unwrap();
    assert_eq!(published, head);
    let events = chain(&env, b).await;
    assert_eq!(events[6].action, "audit.head_published");
    assert_eq!(events[6].after.as_ref().unwrap()["head"], head.to_string());
    assert!(verify(&env, b, Some(published)).await.intact);
}

async fn a_changed_event_is_found(env: Env) {
    let b = six_events(&env, "acme").await;
    let other = six_events(&env, "other").await;
    let id = chain(&env, b).await[2].id;
    let db = attacker(&env).await;
    sqlx::query("UPDATE audit_events SET target_label = 'mallory@example.com' WHERE id = $1")
        .bind(id.to_string())
        .execute(&db)
        .await
        .unwrap();
    let report = verify(&env, b, None).await;
    assert_eq!(broken(&report), (3, ChainProblem::HashMismatch));
    assert_eq!(report.first_break.unwrap().event_id, Some(id));
    assert!(
        verify(&env, other, None).await.intact,
        "another business's chain is its own"
    );
}

async fn a_removed_event_is_found(env: Env) {
    let b = six_events(&env, "acme").await;
    let tail = six_events(&env, "tail").await;
    let db = attacker(&env).await;
    for (business, seq) in [(b, 4), (tail, 6)] {
        sqlx::query("DELETE FROM audit_events WHERE business_id = $1 AND chain_seq = $2")
            .bind(business.to_string())
            .bind(seq)
            .execute(&db)
            .await
            .unwrap();
    }
    assert_eq!(
        broken(&verify(&env, b, None).await),
        (4, ChainProblem::Missing)
    );
    // The last event removed: only the recorded head shows it.
    assert_eq!(
        broken(&verify(&env, tail, None).await),
        (6, ChainProblem::HeadMismatch)
    );
}

async fn a_reordered_chain_is_found(env: Env) {
    let b = six_events(&env, "acme").await;
    let events = chain(&env, b).await;
    let db = attacker(&env).await;
    // Events 2 and 3 trade places (their positions swapped, content and hashes kept).
    for (from, to) in [(2, -1), (3, 2), (-1, 3)] {
        sqlx::query(
            "UPDATE audit_events SET chain_seq = $1 WHERE business_id = $2 AND chain_seq = $3",
        )
        .bind(to)
        .bind(b.to_string())
        .bind(from)
        .execute(&db)
        .await
        .unwrap();
    }
    let report = verify(&env, b, None).await;
    assert_eq!(broken(&report), (2, ChainProblem::PrevHashMismatch));
    assert_eq!(report.first_break.unwrap().event_id, Some(events[2].id));
}

/// Inserts `e` (id, target label and link its own, the rest copied from event `source`).
async fn insert_copy(db: &AnyPool, source: AuditEventId, e: &AuditEvent) {
    let l = e.chain.clone();
    sqlx::query(
        "INSERT INTO audit_events (id, business_id, occurred_at, actor_kind, actor_id, actor_label, action, \
         target_kind, target_id, target_label, before_state, after_state, request_id, client_ip, user_agent, \
         chain_seq, chain_prev, chain_hash) \
         SELECT $1, business_id, occurred_at, actor_kind, actor_id, actor_label, action, target_kind, target_id, \
         $2, before_state, after_state, request_id, client_ip, user_agent, $3, $4, $5 FROM audit_events WHERE id = $6",
    )
    .bind(e.id.to_string())
    .bind(e.target.label.clone())
    .bind(l.as_ref().map(|l| l.seq))
    .bind(l.as_ref().map(|l| l.prev_hash.clone()))
    .bind(l.as_ref().map(|l| l.hash.clone()))
    .bind(source.to_string())
    .execute(db)
    .await
    .unwrap();
}

/// Another id of the same time.
fn uuid_like(id: &str) -> String {
    let last = if id.ends_with('0') { '1' } else { '0' };
    format!("{}{last}", &id[..id.len() - 1])
}

fn forged_copy(e: &AuditEvent) -> AuditEvent {
    let mut forged = e.clone();
    forged.id = uuid_like(&e.id.to_string()).parse().unwrap();
    forged.target.label = "mallory@example.com".into();
    forged
}

async fn inserted_events_are_found(env: Env) {
    let b = six_events(&env, "acme").await;
    let linked = six_events(&env, "linked").await;
    let db = attacker(&env).await;

    // An event slipped in past the chain's writer.
    let source = chain(&env, b).await[1].clone();
    let mut stray = forged_copy(&source);
    stray.chain = None;
    insert_copy(&db, source.id, &stray).await;
    let report = verify(&env, b, None).await;
    assert_eq!(broken(&report), (7, ChainProblem::Unchained));
    assert_eq!(report.first_break.unwrap().event_id, Some(stray.id));

    // An event appended with a well-formed link, the recorded head left alone.
    let events = chain(&env, linked).await;
    let mut forged = forged_copy(&events[5]);
    let mut head = ChainHead {
        seq: 6,
        hash: events[5].chain.clone().unwrap().hash,
    };
    link(&mut forged, &mut head);
    insert_copy(&db, events[5].id, &forged).await;
    assert_eq!(
        broken(&verify(&env, linked, None).await),
        (7, ChainProblem::HeadMismatch)
    );
}

async fn a_rewritten_chain_is_found_against_a_published_head(env: Env) {
    let b = six_events(&env, "acme").await;
    let published = env
        .gh
        .audit_chain_head(&env.access::<AuditView>(b))
        .await
        .unwrap();
    let mut events = chain(&env, b).await;
    let db = attacker(&env).await;
    // Event 3 changed, every link after it recomputed, the head moved: consistent again.
    events[2].target.label = "mallory@example.com".into();
    let mut head = ChainHead {
        seq: 2,
        hash: events[1].chain.clone().unwrap().hash,
    };
    for e in &mut events[2..] {
        link(e, &mut head);
        let l = e.chain.clone().unwrap();
        sqlx::query("UPDATE audit_events SET target_label = $1, chain_prev = $2, chain_hash = $3 WHERE id = $4")
            .bind(e.target.label.clone())
            .bind(l.prev_hash)
            .bind(l.hash)
            .bind(e.id.to_string())
            .execute(&db)
            .await
            .unwrap();
    }
    sqlx::query("UPDATE audit_heads SET hash = $1 WHERE business_id = $2")
        .bind(head.hash.clone())
        .bind(b.to_string())
        .execute(&db)
        .await
        .unwrap();
    assert!(
        verify(&env, b, None).await.intact,
        "undetectable without an anchor"
    );
    let report = verify(&env, b, Some(published)).await;
    assert_eq!(broken(&report), (6, ChainProblem::PublishedHeadMismatch));
}

async fn simultaneous_writers_on_two_nodes_keep_one_chain(env: Env) {
    let b = env.business("acme").await;
    let mut options = ConnectOptions::new(env.db.url.clone());
    options.listen_for_changes = false;
    let other = Gatehouse::new(
        connect(&options).await.unwrap(),
        env.clock.clone(),
        Arc::new(Catalog::default()),
    );
    const WRITERS: usize = 16;
    let barrier = Arc::new(Barrier::new(WRITERS));
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let gh = if w % 2 == 0 {
            env.gh.clone()
        } else {
            other.clone()
        };
        let access = env.access::<UsersManage>(b.id);
        let ctx = env.ctx.clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..4 {
                barrier.wait().await;
                gh.create_user(&access, &ctx, new_user(w * 10 + i))
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let report = verify(&env, b.id, None).await;
    assert!(report.intact, "{report:?}");
    assert_eq!(report.events, 1 + WRITERS as u64 * 4);
}

async fn events_before_the_chain_are_backfilled_in_order(env: Env) {
    // A business whose events were written before the chain existed, as the migration
    // leaves them: unlinked, with a head waiting for the backfill.
    let b = six_events(&env, "acme").await;
    let old = BusinessId::new(env.clock.now());
    let db = attacker(&env).await;
    let events = chain(&env, b).await;
    let mut ids = Vec::new();
    for e in events.iter().rev() {
        let id = uuid_like(&e.id.to_string());
        sqlx::query(
            "INSERT INTO audit_events (id, business_id, occurred_at, actor_kind, actor_label, action, \
             target_kind, target_id, target_label, before_state) VALUES ($1, $2, $3, 'operator', 'operator', $4, \
             'user', 'u', $5, $6)",
        )
        .bind(id.clone())
        .bind(old.to_string())
        .bind(1_795_942_800_000_000_i64)
        .bind(e.action.clone())
        .bind(e.target.label.clone())
        .bind(r#"{"b":1,"a":[2]}"#)
        .execute(&db)
        .await
        .unwrap();
        ids.push(id);
    }
    ids.sort();
    sqlx::query(
        "INSERT INTO audit_heads (business_id, seq, hash, backfill_to) VALUES ($1, 0, $2, $3)",
    )
    .bind(old.to_string())
    .bind(ChainHead::genesis().hash)
    .bind(ids.last().unwrap().clone())
    .execute(&db)
    .await
    .unwrap();
    gatehouse_store::migrate(&env.db.store).await.unwrap();
    let linked = chain(&env, old).await;
    let linked_ids: Vec<String> = linked.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(linked_ids, ids, "linked in the order written (id order)");
    let report = verify(&env, old, None).await;
    assert!(report.intact, "{report:?}");
    assert_eq!(report.events, 6);
}

/// Verification reads the chain a thousand events at a time: a chain of 2,345 events
/// (escaped text among them) verifies whole, and a change in its third batch is found at
/// its exact position.
async fn a_long_chain_is_walked_in_batches(env: Env) {
    let b = env.business("acme").await;
    let mut odd = new_user(0);
    odd.display_name = DisplayName::parse("Zoë \"Q\" O'Brien \\ 東京").unwrap();
    env.gh
        .create_user(&env.access::<UsersManage>(b.id), &env.ctx, odd)
        .await
        .unwrap();
    let audit = env.access::<AuditView>(b.id);
    for _ in 0..2_343 {
        env.gh
            .publish_audit_chain_head(&audit, &env.ctx)
            .await
            .unwrap();
    }
    let report = verify(&env, b.id, None).await;
    assert!(report.intact, "{report:?}");
    assert_eq!(report.events, 2_345);
    let head = env.gh.audit_chain_head(&audit).await.unwrap();
    assert_eq!(report.head, head);

    let db = attacker(&env).await;
    sqlx::query(
        "UPDATE audit_events SET target_label = 'audit chain \u{2014} \"edited\"' \
         WHERE business_id = $1 AND chain_seq = 2100",
    )
    .bind(b.id.to_string())
    .execute(&db)
    .await
    .unwrap();
    assert_eq!(
        broken(&verify(&env, b.id, None).await),
        (2100, ChainProblem::HashMismatch)
    );
}
