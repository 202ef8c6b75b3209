//! Several nodes on one database: the change feed, and PostgreSQL notifications.

use std::time::Duration;

use serde_json::json;

use super::{Table, expect};
use crate::helpers::App;

crate::backend_tests!(two_nodes_converge);

/// Two nodes on one database: a change through node A is seen by node B through the feed.
async fn two_nodes_converge(app: App) {
    let t = Table::new(&app).await;
    let eu = t.tenant(0).to_owned();
    let g = t.group(&app, json!({ "name": "Ops", "type": "business", "permissions": { "live": ["analytics"], "sandbox": ["analytics"] } })).await;
    let u = t.user(&app, "u@acme.com", &[&g], true).await;
    let node_b = app.node().start().await.unwrap();
    let (b_base, b) = (node_b.base, node_b.gh);
    b.load_snapshots().await.unwrap();
    let feed = b.clone();
    tokio::spawn(async move {
        feed.run_change_feed(Duration::from_millis(20), std::future::pending())
            .await
    });
    let check_on_b = |env: &'static str| {
        let request = app
            .client
            .post(format!("{b_base}/api/v1/authz/check"))
            .bearer_auth(&t.checker)
            .json(&json!({ "user_id": u["id"], "permission": "analytics", "tenant_id": eu, "environment": env }));
        async move { crate::helpers::read(request.send().await.unwrap()).await.1 }
    };
    expect(&check_on_b("live").await, true, "granted");
    // Permission removal through A.
    app.patch(
        &format!("/api/v1/groups/{g}"),
        &t.f.admin_key,
        json!({ "permissions": { "sandbox": ["analytics"] } }),
    )
    .await;
    let waited = wait_until(|| async { check_on_b("live").await["allowed"] == false }).await;
    assert!(waited.is_some(), "node B never saw the permission removal");
    // Deactivation through A.
    app.post(
        &format!("/api/v1/users/{}/deactivate", u["id"].as_str().unwrap()),
        &t.f.admin_key,
        json!({}),
    )
    .await;
    let waited =
        wait_until(|| async { check_on_b("sandbox").await["reason"] == "user_inactive" }).await;
    assert!(waited.is_some(), "node B never saw the deactivation");
    eprintln!(
        "node B followed within {:?} (poll interval 20 ms)",
        waited.unwrap()
    );
}

/// Polls `cond` for up to 10 s; returns how long it took. (A bound on waiting, not a timing
/// assertion: the feed's latency is measured in BENCHMARKS.md.)
async fn wait_until<F, Fut>(cond: F) -> Option<Duration>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if cond().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}

/// On PostgreSQL, commits NOTIFY the other nodes: node B, polling only every 30 s, still sees
/// a deactivation through node A long before its next poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_notifications_wake_other_nodes() {
    let Some(app) = crate::helpers::postgres().await else {
        return;
    };
    let t = Table::new(&app).await;
    let eu = t.tenant(0).to_owned();
    let g = t.group(&app, json!({ "name": "Ops", "type": "business", "permissions": { "sandbox": ["analytics"] } })).await;
    let u = t.user(&app, "u@acme.com", &[&g], true).await;
    let node_b = app.node().start().await.unwrap();
    let (b_base, b) = (node_b.base, node_b.gh);
    b.load_snapshots().await.unwrap();
    let feed = b.clone();
    // The first tick fires at once; after it, only notifications can wake the feed in time.
    tokio::spawn(async move {
        feed.run_change_feed(Duration::from_secs(30), std::future::pending())
            .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let check_on_b = || {
        let request = app
            .client
            .post(format!("{b_base}/api/v1/authz/check"))
            .bearer_auth(&t.checker)
            .json(&json!({ "user_id": u["id"], "permission": "analytics", "tenant_id": eu, "environment": "sandbox" }));
        async move { crate::helpers::read(request.send().await.unwrap()).await.1 }
    };
    expect(&check_on_b().await, true, "granted");
    app.post(
        &format!("/api/v1/users/{}/deactivate", u["id"].as_str().unwrap()),
        &t.f.admin_key,
        json!({}),
    )
    .await;
    let waited = wait_until(|| async { check_on_b().await["reason"] == "user_inactive" }).await;
    let waited = waited.expect("node B never saw the deactivation");
    assert!(
        waited < Duration::from_secs(10),
        "woken by the notification, not by its 30 s poll: {waited:?}"
    );
}
