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
);

mod writers;

pub(super) fn new_user(i: usize) -> NewUser {
    NewUser {
        email: Email::parse(&format!("u{i}@example.com")).unwrap(),
        display_name: DisplayName::parse("").unwrap(),
        groups: vec![],
    }
}

/// A business with six events: `business.created` and five `user.created`.
pub(super) async fn six_events(env: &Env, slug: &str) -> BusinessId {
    let b = env.business(slug).await;
    for i in 0..5 {
        env.gh
            .create_user(&env.access::<UsersManage>(b.id), &env.ctx, new_user(i))
            .await
            .unwrap();
    }
    b.id
}

pub(super) async fn verify(env: &Env, b: BusinessId, published: Option<ChainHead>) -> ChainReport {
    env.gh
        .verify_audit_chain(&env.access::<AuditView>(b), published)
        .await
        .unwrap()
}

pub(super) async fn chain(env: &Env, b: BusinessId) -> Vec<AuditEvent> {
    env.gh
        .list_audit_chain(&env.access::<AuditView>(b), None, 1000)
        .await
        .unwrap()
}

/// The database as someone with write access sees it: the append-only triggers off.
pub(super) async fn attacker(env: &Env) -> AnyPool {
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

pub(super) fn broken(report: &ChainReport) -> (i64, ChainProblem) {
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
pub(super) async fn insert_copy(db: &AnyPool, source: AuditEventId, e: &AuditEvent) {
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
pub(super) fn uuid_like(id: &str) -> String {
    let last = if id.ends_with('0') { '1' } else { '0' };
    format!("{}{last}", &id[..id.len() - 1])
}

pub(super) fn forged_copy(e: &AuditEvent) -> AuditEvent {
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
