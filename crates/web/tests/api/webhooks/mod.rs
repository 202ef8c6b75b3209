//! Webhooks end to end: a real receiver gets every subscribed event exactly as signed, in
//! order per object even when it fails for a while; an endpoint that keeps failing is
//! disabled (its administrators mailed) and catches up, in order, when enabled again;
//! replay, secret rotation with overlap, and refused endpoints.

mod advisor;
mod dashboard;
pub(crate) mod receiver;

use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

use crate::helpers::{App, assert_error};
use receiver::{Received, Receiver};

crate::backend_tests!(
    a_receiver_gets_every_event_exactly_as_signed,
    a_failing_receiver_gets_everything_in_order_afterwards,
    a_dead_endpoint_is_disabled_and_catches_up_when_enabled,
    replay_and_rotation,
    bad_endpoints_are_refused,
    the_dashboard_page_subscribes_and_replays,
    findings_are_told_once_when_they_open_and_when_they_go
);

use advisor::findings_are_told_once_when_they_open_and_when_they_go;
use dashboard::the_dashboard_page_subscribes_and_replays;

/// A business, a key that manages webhooks and users, and a subscribed receiver.
async fn setup(app: &App, types: Value) -> (String, Receiver, Value) {
    let f = app.fixture("acme").await;
    let b = f.business["id"].as_str().unwrap();
    let key = app
        .key_for(
            b,
            json!({ "business": ["webhooks.manage", "users.manage", "users.view", "groups.manage", "audit.view"] }),
        )
        .await;
    let receiver = Receiver::start().await;
    let (status, hook) = app
        .post(
            "/api/v1/webhooks",
            &key,
            json!({ "url": receiver.url, "event_types": types, "description": "ops" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    assert!(hook["secret"].as_str().unwrap().starts_with("whsec_"));
    (key, receiver, hook)
}

fn data(r: &Received) -> Value {
    r.json()["data"].clone()
}

fn seq(r: &Received) -> i64 {
    data(r)["chain"]["seq"].as_i64().unwrap()
}

async fn a_receiver_gets_every_event_exactly_as_signed(app: App) {
    let (key, receiver, hook) =
        setup(&app, json!(["users", "groups", "memberships", "audit"])).await;
    let secret = hook["secret"].as_str().unwrap();
    let (_, user) = app
        .post(
            "/api/v1/users",
            &key,
            json!({ "email": "dana@example.com" }),
        )
        .await;
    let uid = user["id"].as_str().unwrap();
    app.patch(
        &format!("/api/v1/users/{uid}"),
        &key,
        json!({ "display_name": "Dana" }),
    )
    .await;
    let (_, group) = app
        .post(
            "/api/v1/groups",
            &key,
            json!({ "name": "Ops", "type": "business" }),
        )
        .await;
    let gid = group["id"].as_str().unwrap();
    let (status, _) = app
        .post(
            &format!("/api/v1/groups/{gid}/members"),
            &key,
            json!({ "user_ids": [uid] }),
        )
        .await;
    assert!(status.is_success());
    let (_, head) = app
        .post("/api/v1/audit-chain/head/publish", &key, json!({}))
        .await;
    let got = receiver.wait_accepted(5, || ()).await;
    let types: Vec<String> = got
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = got.clone();
    sorted.sort_by_key(seq);
    let in_chain_order: Vec<String> = sorted
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        in_chain_order,
        [
            "user.created",
            "user.updated",
            "group.created",
            "group.members_added",
            "audit.head_published"
        ],
        "{types:?}"
    );
    for r in &got {
        assert!(r.signed_by(secret), "signature of {}", r.body);
        assert!(r.timestamp.parse::<i64>().is_ok());
        assert!(r.json()["data"]["id"].as_str().is_some());
    }
    let last = sorted.last().unwrap();
    assert_eq!(
        data(last)["after"]["head"],
        json!(format!(
            "{}:{}",
            head["seq"],
            head["hash"].as_str().unwrap()
        ))
    );
    // Every event once: distinct ids, and nothing else arrives.
    let mut ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 5);
    let hid = hook["id"].as_str().unwrap();
    let (status, log) = app
        .get(&format!("/api/v1/webhooks/{hid}/deliveries"), &key)
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 5);
    assert!(
        log.iter()
            .all(|d| d["state"] == "delivered" && d["attempts"] == 1),
        "{log:?}"
    );
}

async fn a_failing_receiver_gets_everything_in_order_afterwards(app: App) {
    let (key, receiver, hook) = setup(&app, json!(["users"])).await;
    receiver.fail_next(4);
    let (_, user) = app
        .post(
            "/api/v1/users",
            &key,
            json!({ "email": "dana@example.com" }),
        )
        .await;
    let uid = user["id"].as_str().unwrap();
    for i in 0..4 {
        app.patch(
            &format!("/api/v1/users/{uid}"),
            &key,
            json!({ "display_name": format!("Dana {i}") }),
        )
        .await;
    }
    let got = receiver
        .wait_accepted(5, || app.clock.advance(Duration::seconds(1)))
        .await;
    let seqs: Vec<i64> = got.iter().map(seq).collect();
    let mut sorted = seqs.clone();
    sorted.sort();
    assert_eq!(seqs, sorted, "delivered in order");
    assert_eq!(seqs.len(), 5);
    // Nothing about the user was even tried before the event before it was accepted.
    let all = receiver.all().await;
    let mut accepted_up_to = 0;
    for r in &all {
        assert!(
            seq(r) <= sorted[accepted_up_to.min(4)],
            "{} tried out of order",
            seq(r)
        );
        if r.accepted {
            accepted_up_to += 1;
        }
    }
    assert!(all.iter().filter(|r| !r.accepted).count() >= 4);
    for r in &got {
        assert!(r.signed_by(hook["secret"].as_str().unwrap()));
    }
}

async fn a_dead_endpoint_is_disabled_and_catches_up_when_enabled(app: App) {
    let (key, receiver, hook) = setup(&app, json!(["users"])).await;
    let hid = hook["id"].as_str().unwrap();
    // The business's webhook administrator, to be told.
    let (_, group) = app
        .post(
            "/api/v1/groups",
            &key,
            json!({ "name": "Integrations", "type": "business", "permissions": { "business": ["webhooks.manage"] }, "acknowledge_sensitive": true }),
        )
        .await;
    receiver.fail_next(1_000);
    let (_, admin) = app
        .post(
            "/api/v1/users",
            &key,
            json!({ "email": "ops@example.com", "group_ids": [group["id"]] }),
        )
        .await;
    let business = json!({ "id": admin["business_id"] });
    app.activate(&business, &admin).await;
    app.post(
        "/api/v1/users",
        &key,
        json!({ "email": "late@example.com" }),
    )
    .await;
    // Retries move with the test clock; after six failures in a row the endpoint is off.
    for _ in 0..600 {
        let (_, endpoint) = app.get(&format!("/api/v1/webhooks/{hid}"), &key).await;
        if endpoint["enabled"] == false {
            break;
        }
        app.clock.advance(Duration::seconds(1));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mail = app
        .mail
        .wait_for(
            "ops@example.com",
            "A webhook endpoint of acme was disabled",
            1,
        )
        .await
        .expect("the administrator is told");
    assert!(mail.data.contains(&receiver.url), "{}", mail.data);
    let (_, endpoint) = app.get(&format!("/api/v1/webhooks/{hid}"), &key).await;
    assert_eq!(endpoint["enabled"], false, "{endpoint}");
    assert!(
        endpoint["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("failed attempts")
    );
    receiver.fail_next(0);
    let (status, _) = app
        .patch(
            &format!("/api/v1/webhooks/{hid}"),
            &key,
            json!({ "enabled": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let got = receiver
        .wait_accepted(3, || app.clock.advance(Duration::seconds(1)))
        .await;
    let about = |email: &str| -> Vec<String> {
        got.iter()
            .filter(|r| data(r)["target"]["label"] == email)
            .map(|r| r.json()["type"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        about("ops@example.com"),
        ["user.created", "user.activated"],
        "in order"
    );
    assert_eq!(about("late@example.com"), ["user.created"]);
}

async fn replay_and_rotation(app: App) {
    let (key, receiver, hook) = setup(&app, json!(["users"])).await;
    let hid = hook["id"].as_str().unwrap();
    let old = hook["secret"].as_str().unwrap().to_owned();
    app.post(
        "/api/v1/users",
        &key,
        json!({ "email": "dana@example.com" }),
    )
    .await;
    let first = receiver.wait_accepted(1, || ()).await;
    let (_, log) = app
        .get(&format!("/api/v1/webhooks/{hid}/deliveries"), &key)
        .await;
    let did = log[0]["id"].as_str().unwrap();
    let (status, copy) = app
        .post(
            &format!("/api/v1/webhooks/{hid}/deliveries/{did}/replay"),
            &key,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    let got = receiver.wait_accepted(2, || ()).await;
    assert_eq!(got[1].body, first[0].body, "the same payload");
    assert_ne!(got[1].id, first[0].id, "under a new webhook-id");
    let (status, rotated) = app
        .post(
            &format!("/api/v1/webhooks/{hid}/rotate-secret"),
            &key,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new = rotated["secret"].as_str().unwrap();
    assert_ne!(new, old);
    app.post(
        "/api/v1/users",
        &key,
        json!({ "email": "erin@example.com" }),
    )
    .await;
    let got = receiver.wait_accepted(3, || ()).await;
    assert!(
        got[2].signed_by(new) && got[2].signed_by(&old),
        "both during the overlap"
    );
    app.clock.advance(Duration::hours(25));
    app.post(
        "/api/v1/users",
        &key,
        json!({ "email": "finn@example.com" }),
    )
    .await;
    let got = receiver.wait_accepted(4, || ()).await;
    assert!(
        got[3].signed_by(new) && !got[3].signed_by(&old),
        "the old one retired"
    );
}

async fn bad_endpoints_are_refused(app: App) {
    let (key, _receiver, hook) = setup(&app, json!(["users"])).await;
    for url in [
        "ftp://example.com/x",
        "https://user:pw@example.com/x",
        "not a url",
    ] {
        let got = app
            .post(
                "/api/v1/webhooks",
                &key,
                json!({ "url": url, "event_types": ["users"] }),
            )
            .await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_webhook_url",
        );
    }
    let got = app
        .post(
            "/api/v1/webhooks",
            &key,
            json!({ "url": "https://example.com/x", "event_types": [] }),
        )
        .await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_webhook_event_types",
    );
    // Another business sees none of it.
    let other = app.fixture("other").await;
    let ob = other.business["id"].as_str().unwrap();
    let okey = app
        .key_for(ob, json!({ "business": ["webhooks.manage"] }))
        .await;
    let hid = hook["id"].as_str().unwrap();
    assert_error(
        &app.get(&format!("/api/v1/webhooks/{hid}"), &okey).await,
        StatusCode::NOT_FOUND,
        "webhook_not_found",
    );
    let (_, list) = app.get("/api/v1/webhooks", &okey).await;
    assert_eq!(list, json!([]));
}
