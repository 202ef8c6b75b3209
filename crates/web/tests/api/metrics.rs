//! `/metrics` on the node's own listener, scraped and parsed as Prometheus parses the text
//! format: request latencies by route pattern, decisions by reason, sign-ins and failures,
//! audit events by action, queues, pools, the change feed's lag and memory — each moving as
//! the requests made between two scrapes say it must.

use std::collections::BTreeMap;

use prometheus_parse::{Sample, Scrape, Value as Metric};
use reqwest::StatusCode;
use serde_json::json;

use crate::browser::Browser;
use crate::helpers::App;
use crate::sign_in::member;

crate::backend_tests!(metrics_are_scraped_and_move_with_what_happens);

async fn scrape(app: &App) -> Scrape {
    let res = reqwest::get(&app.metrics).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    let body = res.text().await.unwrap();
    Scrape::parse(body.lines().map(|l| Ok(l.to_owned()))).expect("the Prometheus text format")
}

/// The value of the sample named `name` whose labels include `labels`.
fn value(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    s.samples
        .iter()
        .filter(|x| x.metric == name)
        .find(|x| labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
        .map(|x| match &x.value {
            Metric::Counter(v) | Metric::Gauge(v) | Metric::Untyped(v) => *v,
            Metric::Histogram(h) => h.iter().map(|b| b.count).fold(0.0, f64::max),
            Metric::Summary(_) => f64::NAN,
        })
}

fn count(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    value(s, name, labels).unwrap_or(0.0)
}

fn routes(s: &Scrape) -> BTreeMap<String, &Sample> {
    s.samples
        .iter()
        .filter(|x| x.metric == "gatehouse_http_request_duration_seconds")
        .filter_map(|x| x.labels.get("route").map(|r| (r.to_owned(), x)))
        .collect()
}

async fn metrics_are_scraped_and_move_with_what_happens(app: App) {
    let f = app.fixture("acme").await;
    let t0 = f.tenants[0]["id"].as_str().unwrap();
    let (status, group) = app
        .post(
            "/api/v1/groups",
            &f.admin_key,
             json!({ "name": "Analysts", "description": "Analytics", "type": "tenants", "tenant_ids": [t0], "permissions": { "live": ["analytics"], "sandbox": ["analytics"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    let (_, dana) = member(
        &app,
        &f,
        "dana@example.com",
        &[group["id"].as_str().unwrap()],
    )
    .await;
    let before = scrape(&app).await;

    // Between the scrapes: a failed and a good sign-in, two decisions, a path no route has.
    let mut b = Browser::new(&app);
    let wrong = b
        .sign_in("acme", "dana@example.com", "not her password at all")
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let right = b
        .sign_in("acme", "dana@example.com", crate::invitations::PW)
        .await;
    assert_eq!(right.status, StatusCode::SEE_OTHER);
    // The business asks for MFA with Live access: Dana has none yet.
    for (permission, env, reason) in [
        ("analytics", "sandbox", "granted"),
        ("analytics", "live", "mfa_required"),
        ("verification.delete", "sandbox", "no_grant"),
    ] {
        let (status, d) = app
            .post(
                "/api/v1/authz/check",
                &f.admin_key,
                json!({ "user_id": dana, "permission": permission, "tenant_id": t0, "environment": env }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{d}");
        assert_eq!(d["reason"], reason, "{d}");
    }
    let (status, _) = app.get("/no/such/place-42", &f.admin_key).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let after = scrape(&app).await;

    let moved = |name: &str, labels: &[(&str, &str)]| {
        count(&after, name, labels) - count(&before, name, labels)
    };
    let decisions = "gatehouse_authz_decisions_total";
    assert_eq!(moved(decisions, &[("reason", "granted")]), 1.0);
    assert_eq!(moved(decisions, &[("reason", "no_grant")]), 1.0);
    assert_eq!(moved(decisions, &[("reason", "mfa_required")]), 1.0);
    assert_eq!(moved(decisions, &[("reason", "user_inactive")]), 0.0);
    assert!(
        value(&after, decisions, &[("reason", "user_unknown")]).is_some(),
        "every reason has a series"
    );
    assert_eq!(
        moved("gatehouse_sign_ins_total", &[("outcome", "failed")]),
        1.0
    );
    assert_eq!(
        moved("gatehouse_sign_ins_total", &[("outcome", "succeeded")]),
        1.0
    );
    assert_eq!(
        moved(
            "gatehouse_audit_events_total",
            &[("action", "auth.sign_in_failed")]
        ),
        1.0
    );
    assert!(value(&after, "gatehouse_lockouts_total", &[]).is_some());

    // Latencies by the route's pattern, never the raw path.
    let check = [
        ("route", "/api/v1/authz/check"),
        ("method", "POST"),
        ("status", "2xx"),
    ];
    let hist = "gatehouse_http_request_duration_seconds_count";
    assert_eq!(moved(hist, &check), 3.0, "{:?}", routes(&after).keys());
    assert!(moved(hist, &[("route", "unmatched"), ("status", "4xx")]) >= 1.0);
    assert!(routes(&after).keys().all(|r| !r.contains("place-42")));
    assert!(
        routes(&after).contains_key("/api/v1/users/{user_id}")
            || routes(&after).contains_key("/api/v1/groups")
    );

    // Read at the scrape: the database answered, the queues and pools, the feed, memory.
    assert_eq!(value(&after, "gatehouse_store_up", &[]), Some(1.0));
    for state in ["pending", "sending"] {
        assert!(value(&after, "gatehouse_mail_queue", &[("state", state)]).is_some());
        assert!(value(&after, "gatehouse_webhook_queue", &[("state", state)]).is_some());
    }
    let pools: Vec<&Sample> = after
        .samples
        .iter()
        .filter(|x| x.metric == "gatehouse_db_pool_max_connections")
        .collect();
    assert!(!pools.is_empty());
    for p in &pools {
        let pool = p.labels.get("pool").unwrap();
        assert!(
            value(
                &after,
                "gatehouse_db_pool_connections",
                &[("pool", pool), ("state", "idle")]
            )
            .is_some()
        );
    }
    assert!(value(&after, "gatehouse_snapshot_businesses", &[]).unwrap() >= 1.0);
    assert_eq!(
        value(&after, "gatehouse_snapshot_changes_behind", &[]),
        Some(0.0)
    );
    assert!(value(&after, "gatehouse_store_change_seq_sum", &[]).unwrap() >= 1.0);
    assert!(value(&after, "process_resident_memory_bytes", &[]).unwrap() > 1_000_000.0);

    // The Grafana dashboard in the repository reads only metrics that exist.
    let dashboard = include_str!("../../../../ops/grafana/gatehouse.json");
    let names: std::collections::BTreeSet<&str> = dashboard
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|t| t.starts_with("gatehouse_") || t.starts_with("process_"))
        .collect();
    assert!(names.len() >= 10, "{names:?}");
    for name in names {
        let family = name.strip_suffix("_bucket").unwrap_or(name);
        assert!(
            after
                .samples
                .iter()
                .any(|x| x.metric == name || x.metric == family),
            "the dashboard reads {name}, which /metrics does not have"
        );
    }
}
