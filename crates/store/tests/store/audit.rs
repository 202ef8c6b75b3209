//! The audit trail: one event per change in the same transaction, none for a failed change,
//! filters, and append-only enforcement by the database itself.

use gatehouse_domain::audit::AuditFilter;
use gatehouse_domain::principal::{AuditView, UsersManage};
use gatehouse_domain::services::NewUser;
use gatehouse_domain::store::Store;
use gatehouse_domain::types::{DisplayName, Email};

use crate::harness::Env;

crate::backend_tests!(
    one_event_per_change_none_on_failure,
    filters_and_cursor,
    database_refuses_changes_to_events,
    uncommitted_change_leaves_no_trace
);

async fn events(
    env: &Env,
    b: gatehouse_domain::ids::BusinessId,
    filter: AuditFilter,
) -> Vec<gatehouse_domain::audit::AuditEvent> {
    env.gh
        .list_audit_events(&env.access::<AuditView>(b), filter, None, 500)
        .await
        .unwrap()
        .items
}

fn new_user(e: &str) -> NewUser {
    NewUser {
        email: Email::parse(e).unwrap(),
        display_name: DisplayName::parse("").unwrap(),
        groups: vec![],
    }
}

async fn one_event_per_change_none_on_failure(env: Env) {
    let b = env.business("acme").await;
    assert_eq!(events(&env, b.id, AuditFilter::default()).await.len(), 1);
    let u = env
        .gh
        .create_user(
            &env.access::<UsersManage>(b.id),
            &env.ctx,
            new_user("dana@example.com"),
        )
        .await
        .unwrap();
    let all = events(&env, b.id, AuditFilter::default()).await;
    assert_eq!(all.len(), 2);
    let e = &all[0];
    assert_eq!(e.action, "user.created");
    assert_eq!(e.target.id, u.id.to_string());
    assert_eq!(e.target.label, "dana@example.com");
    assert_eq!(
        e.actor.kind,
        gatehouse_domain::principal::ActorKind::Operator
    );
    assert_eq!(e.request_id.as_deref(), Some("req-1"));
    assert_eq!(e.client_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(e.after.as_ref().unwrap()["email"], "dana@example.com");
    // A failed change writes nothing.
    env.gh
        .create_user(
            &env.access::<UsersManage>(b.id),
            &env.ctx,
            new_user("DANA@example.com"),
        )
        .await
        .unwrap_err();
    assert_eq!(events(&env, b.id, AuditFilter::default()).await.len(), 2);
}

async fn filters_and_cursor(env: Env) {
    let b = env.business("acme").await;
    let t = env.tenant(b.id, "eu").await;
    let u = env
        .gh
        .create_user(
            &env.access::<UsersManage>(b.id),
            &env.ctx,
            new_user("dana@example.com"),
        )
        .await
        .unwrap();
    env.clock.advance(time::Duration::hours(1));
    let later = env.gh.now();
    env.gh
        .deactivate_user(
            &env.access::<UsersManage>(b.id),
            &env.ctx,
            u.id,
            Default::default(),
        )
        .await
        .unwrap();
    let by_target = events(
        &env,
        b.id,
        AuditFilter {
            target_id: Some(u.id.to_string()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        by_target
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        ["user.deactivated", "user.created"]
    );
    let prefix = events(
        &env,
        b.id,
        AuditFilter {
            action_prefix: Some("tenant".into()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(prefix.len(), 1);
    assert_eq!(prefix[0].target.id, t.id.to_string());
    assert!(
        events(
            &env,
            b.id,
            AuditFilter {
                action_prefix: Some("tenan".into()),
                ..Default::default()
            }
        )
        .await
        .is_empty()
    );
    let recent = events(
        &env,
        b.id,
        AuditFilter {
            from: Some(later),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(recent.len(), 1);
    let old = events(
        &env,
        b.id,
        AuditFilter {
            to: Some(later),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(old.len(), 3);
    let page = env
        .gh
        .list_audit_events(
            &env.access::<AuditView>(b.id),
            AuditFilter::default(),
            None,
            2,
        )
        .await
        .unwrap();
    let rest = env
        .gh
        .list_audit_events(
            &env.access::<AuditView>(b.id),
            AuditFilter::default(),
            page.next_cursor.as_deref(),
            2,
        )
        .await
        .unwrap();
    assert_eq!(page.items.len() + rest.items.len(), 4);
    assert!(rest.next_cursor.is_none());
    assert!(page.items.last().unwrap().id > rest.items[0].id);
}

async fn database_refuses_changes_to_events(env: Env) {
    env.business("acme").await;
    let pool = sqlx::AnyPool::connect(&env.db.url).await.unwrap();
    assert!(
        sqlx::query("UPDATE audit_events SET action = 'forged'")
            .execute(&pool)
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM audit_events")
            .execute(&pool)
            .await
            .is_err()
    );
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'business.created'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(n, 1);
}

async fn uncommitted_change_leaves_no_trace(env: Env) {
    let b = env.business("acme").await;
    let seq = env.db.store.get_change_seq(b.id).await.unwrap();
    {
        let mut tx = env.db.store.begin().await.unwrap();
        let mut renamed = b.clone();
        renamed.name = gatehouse_domain::types::BusinessName::parse("Dropped").unwrap();
        tx.update_business(&renamed).await.unwrap();
        // dropped without commit
    }
    let tx = env.db.store.begin().await.unwrap();
    assert_eq!(tx.commit(vec![]).await.unwrap_err().code(), "internal");
    assert_eq!(env.db.store.get_change_seq(b.id).await.unwrap(), seq);
    assert_eq!(
        env.db
            .store
            .get_business(b.id)
            .await
            .unwrap()
            .unwrap()
            .name
            .as_str(),
        "acme"
    );
}
