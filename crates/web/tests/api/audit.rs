//! The audit trail over HTTP: one event per change, filters, and no way to alter it.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{App, OPERATOR};

crate::backend_tests!(
    every_change_writes_exactly_one_event,
    events_cannot_be_changed_through_any_route
);

async fn every_change_writes_exactly_one_event(app: App) {
    let f = app.fixture("acme").await;
    let k = &f.admin_key;
    let b = f.business["id"].as_str().unwrap();
    let eu = f.tenants[0]["id"].as_str().unwrap();
    let mut expected = app.audit_count(k).await;
    let (_, g) = app
        .post(
            "/api/v1/groups",
            k,
            json!({ "name": "G", "type": "business" }),
        )
        .await;
    let gid = g["id"].as_str().unwrap().to_owned();
    let (_, u) = app
        .post("/api/v1/users", k, json!({ "email": "dana@example.com" }))
        .await;
    let uid = u["id"].as_str().unwrap().to_owned();
    let steps: Vec<(Method, String, Option<serde_json::Value>, &str, &str)> = vec![
        (
            Method::PATCH,
            format!("/api/v1/users/{uid}"),
            Some(json!({ "display_name": "Dana" })),
            k,
            "user.updated",
        ),
        (
            Method::POST,
            format!("/api/v1/groups/{gid}/members"),
            Some(json!({ "user_ids": [uid] })),
            k,
            "group.members_added",
        ),
        (
            Method::DELETE,
            format!("/api/v1/groups/{gid}/members/{uid}"),
            None,
            k,
            "group.member_removed",
        ),
        (
            Method::PATCH,
            format!("/api/v1/groups/{gid}"),
            Some(json!({ "description": "d" })),
            k,
            "group.updated",
        ),
        (
            Method::POST,
            format!("/api/v1/users/{uid}/deactivate"),
            None,
            k,
            "user.deactivated",
        ),
        (
            Method::POST,
            format!("/api/v1/users/{uid}/reactivate"),
            None,
            k,
            "user.reactivated",
        ),
        (
            Method::DELETE,
            format!("/api/v1/groups/{gid}"),
            None,
            k,
            "group.deleted",
        ),
        (
            Method::PATCH,
            format!("/api/v1/businesses/{b}"),
            Some(json!({ "name": "Acme 2" })),
            OPERATOR,
            "business.renamed",
        ),
        (
            Method::PATCH,
            format!("/api/v1/businesses/{b}/tenants/{eu}"),
            Some(json!({ "name": "Europe" })),
            OPERATOR,
            "tenant.renamed",
        ),
        (
            Method::POST,
            "/api/v1/api-keys".to_owned(),
            Some(json!({ "name": "k2" })),
            k,
            "api_key.created",
        ),
    ];
    expected += 2;
    for (method, path, body, token, action) in steps {
        let res = app
            .request(method, &path, token)
            .header("user-agent", "audit-test/1.0");
        let res = match body {
            Some(b) => res.json(&b),
            None => res,
        };
        let res = res.send().await.unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        expected += 1;
        let (_, page) = app.get("/api/v1/audit-events?limit=500", k).await;
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), expected, "{action}");
        assert_eq!(items[0]["action"], action);
        assert_eq!(items[0]["user_agent"], "audit-test/1.0");
        assert_eq!(items[0]["client_ip"], "127.0.0.1");
        assert!(items[0]["request_id"].is_string());
    }
    let (_, page) = app.get("/api/v1/audit-events?action=user", k).await;
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["action"].as_str().unwrap().starts_with("user."))
    );
    let (_, page) = app
        .get(
            &format!("/api/v1/audit-events?target={uid}&action=user.deactivated"),
            k,
        )
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["before"]["status"], "pending");
    assert_eq!(page["items"][0]["after"]["status"], "deactivated");
    let key_id = page["items"][0]["actor"]["id"].as_str().unwrap().to_owned();
    let (_, by_actor) = app
        .get(&format!("/api/v1/audit-events?actor={key_id}&limit=500"), k)
        .await;
    assert!(
        by_actor["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"]["id"] == key_id.as_str())
    );
    let (_, future) = app
        .get("/api/v1/audit-events?from=2030-01-01T00:00:00Z", k)
        .await;
    assert_eq!(future["items"], json!([]));
    let (status, _) = app.get("/api/v1/audit-events?from=yesterday", k).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn events_cannot_be_changed_through_any_route(app: App) {
    let f = app.fixture("acme").await;
    let k = &f.admin_key;
    let (_, page) = app.get("/api/v1/audit-events", k).await;
    let before = page["items"].clone();
    let id = before[0]["id"].as_str().unwrap();
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        for path in [
            "/api/v1/audit-events".to_owned(),
            format!("/api/v1/audit-events/{id}"),
        ] {
            for token in [k.as_str(), OPERATOR] {
                let (status, _) = app
                    .call(
                        method.clone(),
                        &path,
                        token,
                        Some(json!({ "action": "forged" })),
                    )
                    .await;
                assert!(
                    matches!(
                        status,
                        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
                    ),
                    "{method} {path}: {status}"
                );
            }
        }
    }
    let (_, page) = app.get("/api/v1/audit-events", k).await;
    assert_eq!(page["items"], before);
}
