//! The chain under many writers and at length: truly simultaneous appends on two nodes,
//! events written before the chain backfilled in order, and a chain long enough to be
//! walked in several batches.

use super::*;

crate::backend_tests!(
    simultaneous_writers_on_two_nodes_keep_one_chain,
    events_before_the_chain_are_backfilled_in_order,
    a_long_chain_is_walked_in_batches
);

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
