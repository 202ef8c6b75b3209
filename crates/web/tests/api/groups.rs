//! Groups over HTTP: create, edit, members, delete, and the no-escalation rule for API keys.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{App, assert_error};

crate::backend_tests!(
    group_lifecycle,
    group_validation,
    members,
    limited_key_cannot_grant_more
);

async fn group_lifecycle(app: App) {
    let f = app.fixture("acme").await;
    let k = &f.admin_key;
    let eu = f.tenants[0]["id"].as_str().unwrap();
    let body = json!({ "name": "Compliance UK", "description": "KYC reviewers", "type": "tenants", "tenant_ids": [eu],
        "permissions": { "live": ["verification.view"], "sandbox": ["verification.view", "flow_builder"] } });
    let (status, g) = app.post("/api/v1/groups", k, body).await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    assert_eq!(g["type"], "tenants");
    assert_eq!(g["tenant_ids"], json!([eu]));
    assert_eq!(
        g["permissions"]["sandbox"],
        json!(["flow_builder", "verification.view"])
    );
    assert_eq!(g["member_count"], 0);
    let path = format!("/api/v1/groups/{}", g["id"].as_str().unwrap());
    assert_error(
        &app.post(
            "/api/v1/groups",
            k,
            json!({ "name": "compliance uk", "type": "business" }),
        )
        .await,
        StatusCode::CONFLICT,
        "group_name_taken",
    );
    let (status, g2) = app
        .patch(
            &path,
            k,
            json!({ "permissions": { "live": [], "sandbox": ["analytics"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{g2}");
    assert_eq!(g2["version"], 2);
    let (_, events) = app
        .get(
            &format!("/api/v1/audit-events?target={}", g["id"].as_str().unwrap()),
            k,
        )
        .await;
    assert_eq!(events["items"][0]["action"], "group.permissions_changed");
    let (status, g3) = app
        .patch(
            &path,
            k,
            json!({ "type": "business", "tenant_ids": [], "name": "Compliance" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{g3}");
    assert_eq!(g3["type"], "business");
    let (_, list) = app.get("/api/v1/groups", k).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["name"], "Compliance");
    assert_eq!(app.delete(&path, k).await.0, StatusCode::NO_CONTENT);
    assert_error(
        &app.get(&path, k).await,
        StatusCode::NOT_FOUND,
        "group_not_found",
    );
}

async fn group_validation(app: App) {
    let f = app.fixture("acme").await;
    let k = &f.admin_key;
    let eu = f.tenants[0]["id"].as_str().unwrap();
    let cases = [
        (
            json!({ "name": "", "type": "business" }),
            "invalid_group_name",
        ),
        (
            json!({ "name": "x".repeat(101), "type": "business" }),
            "invalid_group_name",
        ),
        (
            json!({ "name": "t", "type": "tenants" }),
            "empty_tenant_set",
        ),
        (
            json!({ "name": "t", "type": "business", "tenant_ids": [eu] }),
            "tenant_set_on_business_group",
        ),
        (
            json!({ "name": "t", "type": "tenants", "tenant_ids": [eu], "permissions": { "business": ["users.view"] } }),
            "business_permission_on_tenant_group",
        ),
        (
            json!({ "name": "t", "type": "business", "permissions": { "live": ["users.view"] } }),
            "permission_scope_mismatch",
        ),
        (
            json!({ "name": "t", "type": "business", "permissions": { "live": ["made.up"] } }),
            "unknown_permission",
        ),
        (
            json!({ "name": "t", "type": "tenants", "tenant_ids": ["00000000-0000-7000-8000-000000000000"] }),
            "tenant_not_found",
        ),
    ];
    for (body, code) in cases {
        let got = app.post("/api/v1/groups", k, body.clone()).await;
        assert_eq!(got.1["error"]["code"], code, "{body}: {}", got.1);
        assert!(got.0.is_client_error());
    }
    assert_error(
        &app.post(
            "/api/v1/groups",
            k,
            json!({ "name": "t", "type": "galaxy" }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    );
    assert_eq!(app.get("/api/v1/groups", k).await.1, json!([]));
}

async fn members(app: App) {
    let f = app.fixture("acme").await;
    let k = &f.admin_key;
    let (_, g) = app
        .post(
            "/api/v1/groups",
            k,
            json!({ "name": "Ops", "type": "business" }),
        )
        .await;
    let gid = g["id"].as_str().unwrap();
    let mut ids = Vec::new();
    for e in ["a@example.com", "b@example.com"] {
        ids.push(
            app.post("/api/v1/users", k, json!({ "email": e })).await.1["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let (status, g) = app
        .post(
            &format!("/api/v1/groups/{gid}/members"),
            k,
            json!({ "user_ids": ids }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(g["member_count"], 2);
    let (_, m) = app.get(&format!("/api/v1/groups/{gid}/members"), k).await;
    assert_eq!(m["total"], 2);
    assert_error(
        &app.delete(&format!("/api/v1/groups/{gid}"), k).await,
        StatusCode::CONFLICT,
        "group_has_members",
    );
    assert_eq!(
        app.delete(&format!("/api/v1/groups/{gid}/members/{}", ids[0]), k)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (_, u) = app.get(&format!("/api/v1/users/{}", ids[0]), k).await;
    assert_eq!(u["groups"], json!([]));
    assert_eq!(
        app.delete(&format!("/api/v1/groups/{gid}?force=true"), k)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (_, u) = app.get(&format!("/api/v1/users/{}", ids[1]), k).await;
    assert_eq!(u["groups"], json!([]));
}

async fn limited_key_cannot_grant_more(app: App) {
    let f = app.fixture("acme").await;
    let b = f.business["id"].as_str().unwrap();
    let limited = app.key_for(b, json!({ "business": ["groups.manage", "users.manage", "users.view"], "sandbox": ["analytics"] })).await;
    let before = app.audit_count(&f.admin_key).await;
    let got = app.post("/api/v1/groups", &limited, json!({ "name": "Live analysts", "type": "business", "permissions": { "live": ["analytics"] } })).await;
    assert_error(&got, StatusCode::FORBIDDEN, "would_escalate");
    assert_eq!(
        got.1["error"]["details"]["missing"],
        json!(["live:analytics"])
    );
    let (_, admins) = app.post("/api/v1/groups", &f.admin_key, json!({ "name": "Admins", "type": "business", "permissions": { "business": ["audit.view"] } })).await;
    let aid = admins["id"].as_str().unwrap();
    let (_, u) = app
        .post(
            "/api/v1/users",
            &limited,
            json!({ "email": "dana@example.com" }),
        )
        .await;
    let uid = u["id"].as_str().unwrap();
    assert_error(
        &app.post(
            &format!("/api/v1/groups/{aid}/members"),
            &limited,
            json!({ "user_ids": [uid] }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "would_escalate",
    );
    assert_error(
        &app.patch(
            &format!("/api/v1/users/{uid}"),
            &limited,
            json!({ "group_ids": [aid] }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "would_escalate",
    );
    assert_error(
        &app.patch(
            &format!("/api/v1/groups/{aid}"),
            &limited,
            json!({ "permissions": { "business": ["audit.view", "api_keys.manage"] } }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "would_escalate",
    );
    // Removing rights is always allowed.
    let (status, _) = app
        .patch(
            &format!("/api/v1/groups/{aid}"),
            &limited,
            json!({ "permissions": {} }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.audit_count(&f.admin_key).await, before + 3);
}
