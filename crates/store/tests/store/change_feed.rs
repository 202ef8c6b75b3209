//! The change feed's cursor: a pass lists the businesses that moved since the last one, and
//! none that moved is ever left out, whatever order their transactions commit in.

use gatehouse_domain::audit::{AuditEvent, AuditTarget};
use gatehouse_domain::authz::{AccessSource, FeedCursor};
use gatehouse_domain::clock::Clock;
use gatehouse_domain::ids::{AuditEventId, BusinessId};
use gatehouse_domain::principal::Actor;
use gatehouse_domain::store::Store;
use gatehouse_domain::types::BusinessName;
use gatehouse_store::Backend;

use crate::harness::{self, Env};

crate::backend_tests!(a_pass_lists_what_moved_since_the_last);

async fn moved(env: &Env, cursor: Option<FeedCursor>) -> (Vec<(BusinessId, i64)>, FeedCursor) {
    env.db.store.list_changes_since(cursor).await.unwrap()
}

async fn seq(env: &Env, business: BusinessId) -> i64 {
    env.db.store.get_change_seq(business).await.unwrap()
}

async fn a_pass_lists_what_moved_since_the_last(env: Env) {
    let a = env.business("acme").await;
    let b = env.business("bolt").await;
    let (all, first) = moved(&env, None).await;
    assert!(all.contains(&(a.id, seq(&env, a.id).await)), "{all:?}");
    assert!(all.contains(&(b.id, seq(&env, b.id).await)), "{all:?}");

    env.tenant(a.id, "eu").await;
    let (after_a, second) = moved(&env, Some(first)).await;
    assert!(
        after_a.contains(&(a.id, seq(&env, a.id).await)),
        "{after_a:?}"
    );
    env.tenant(b.id, "us").await;
    env.tenant(b.id, "uk").await;
    let (after_b, third) = moved(&env, Some(second)).await;
    assert!(
        after_b.contains(&(b.id, seq(&env, b.id).await)),
        "{after_b:?}"
    );
    // SQLite's ticks are exact. PostgreSQL may list a business again while a transaction
    // older than its last change still runs (other tests share the server), never less.
    if env.db.backend == Backend::Sqlite {
        assert_eq!(after_a, vec![(a.id, seq(&env, a.id).await)]);
        assert_eq!(after_b, vec![(b.id, seq(&env, b.id).await)]);
        assert_eq!(moved(&env, Some(third)).await.0, vec![]);
    }
}

/// A change whose transaction began writing first but commits last is still seen by the pass
/// after its commit, though an earlier pass already saw a later transaction's change (a
/// cursor taken from the highest change seen would skip it). PostgreSQL only: SQLite's one
/// writer cannot interleave two write transactions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_committed_after_a_later_one_is_not_missed() {
    let Some(env) = harness::postgres().await else {
        return;
    };
    let a = env.business("acme").await;
    let b = env.business("bolt").await;
    let (_, cursor) = moved(&env, None).await;

    // A transaction on `acme` writes (and so takes its transaction id) and stays open.
    let mut slow = env.db.store.begin().await.unwrap();
    let mut renamed = a.clone();
    renamed.name = BusinessName::parse("Acme Slow").unwrap();
    slow.update_business(&renamed).await.unwrap();

    // A later transaction on `bolt` commits, and a pass sees it.
    env.tenant(b.id, "us").await;
    let (seen, cursor) = moved(&env, Some(cursor)).await;
    assert!(seen.contains(&(b.id, seq(&env, b.id).await)), "{seen:?}");

    // Then the first commits: the next pass lists it.
    slow.commit(vec![renamed_event(&env, a.id)]).await.unwrap();
    let after = seq(&env, a.id).await;
    let (seen, _) = moved(&env, Some(cursor)).await;
    assert!(
        seen.contains(&(a.id, after)),
        "the slow commit was skipped: {seen:?}"
    );
}

fn renamed_event(env: &Env, business: BusinessId) -> AuditEvent {
    let now = env.clock.now();
    AuditEvent {
        id: AuditEventId::new(now),
        occurred_at: now,
        business_id: Some(business),
        actor: Actor::operator(),
        action: "business.renamed".to_owned(),
        target: AuditTarget {
            kind: "business".to_owned(),
            id: business.to_string(),
            label: "Acme Slow".to_owned(),
        },
        before: None,
        after: None,
        request_id: None,
        client_ip: None,
        user_agent: None,
        chain: None,
    }
}
