//! Business isolation: a key of business A gets exactly what a nonexistent id gets for every
//! object of business B, by id, in lists and in filters.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{App, assert_error};

crate::backend_tests!(nothing_crosses_the_business_boundary);

async fn nothing_crosses_the_business_boundary(app: App) {
    let a = app.fixture("acme").await;
    let b = app.fixture("globex").await;
    let (_, bg) = app
        .post(
            "/api/v1/groups",
            &b.admin_key,
            json!({ "name": "B team", "type": "tenants", "tenant_ids": [b.tenants[0]["id"]] }),
        )
        .await;
    let (_, bu) = app
        .post(
            "/api/v1/users",
            &b.admin_key,
            json!({ "email": "bob@globex.com", "group_ids": [bg["id"]] }),
        )
        .await;
    let (_, bk) = app
        .post("/api/v1/api-keys", &b.admin_key, json!({ "name": "b key" }))
        .await;
    let (bg, bu, bk) = (
        bg["id"].as_str().unwrap(),
        bu["id"].as_str().unwrap(),
        bk["id"].as_str().unwrap(),
    );
    let bt = b.tenants[0]["id"].as_str().unwrap();
    let k = &a.admin_key;

    assert_error(
        &app.get(&format!("/api/v1/users/{bu}"), k).await,
        StatusCode::NOT_FOUND,
        "user_not_found",
    );
    assert_error(
        &app.patch(
            &format!("/api/v1/users/{bu}"),
            k,
            json!({ "display_name": "x" }),
        )
        .await,
        StatusCode::NOT_FOUND,
        "user_not_found",
    );
    assert_error(
        &app.post(&format!("/api/v1/users/{bu}/deactivate"), k, json!({}))
            .await,
        StatusCode::NOT_FOUND,
        "user_not_found",
    );
    assert_error(
        &app.get(&format!("/api/v1/groups/{bg}"), k).await,
        StatusCode::NOT_FOUND,
        "group_not_found",
    );
    assert_error(
        &app.patch(
            &format!("/api/v1/groups/{bg}"),
            k,
            json!({ "name": "mine" }),
        )
        .await,
        StatusCode::NOT_FOUND,
        "group_not_found",
    );
    assert_error(
        &app.delete(&format!("/api/v1/groups/{bg}?force=true"), k)
            .await,
        StatusCode::NOT_FOUND,
        "group_not_found",
    );
    assert_error(
        &app.get(&format!("/api/v1/groups/{bg}/members"), k).await,
        StatusCode::NOT_FOUND,
        "group_not_found",
    );
    assert_error(
        &app.delete(&format!("/api/v1/groups/{bg}/members/{bu}"), k)
            .await,
        StatusCode::NOT_FOUND,
        "group_not_found",
    );
    assert_error(
        &app.delete(&format!("/api/v1/api-keys/{bk}"), k).await,
        StatusCode::NOT_FOUND,
        "api_key_not_found",
    );
    // Referencing B's objects from A's writes.
    assert_error(
        &app.post(
            "/api/v1/users",
            k,
            json!({ "email": "x@acme.com", "group_ids": [bg] }),
        )
        .await,
        StatusCode::NOT_FOUND,
        "group_not_found",
    );
    let (_, ag) = app
        .post(
            "/api/v1/groups",
            k,
            json!({ "name": "A", "type": "business" }),
        )
        .await;
    let agid = ag["id"].as_str().unwrap();
    assert_error(
        &app.post(
            &format!("/api/v1/groups/{agid}/members"),
            k,
            json!({ "user_ids": [bu] }),
        )
        .await,
        StatusCode::NOT_FOUND,
        "user_not_found",
    );
    assert_error(
        &app.post(
            "/api/v1/groups",
            k,
            json!({ "name": "T", "type": "tenants", "tenant_ids": [bt] }),
        )
        .await,
        StatusCode::NOT_FOUND,
        "tenant_not_found",
    );
    // Lists and filters show nothing of B.
    for path in [
        "/api/v1/users",
        &format!("/api/v1/users?group={bg}"),
        &format!("/api/v1/users?tenant={bt}"),
        "/api/v1/users?q=bob",
    ] {
        let (status, page) = app.get(path, k).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(page["total"], 0, "{path}");
    }
    let (_, groups) = app.get("/api/v1/groups", k).await;
    assert_eq!(groups.as_array().unwrap().len(), 1);
    let (_, keys) = app.get("/api/v1/api-keys", k).await;
    assert!(
        keys.as_array()
            .unwrap()
            .iter()
            .all(|key| key["business_id"] == a.business["id"])
    );
    let (_, tenants) = app.get("/api/v1/tenants", k).await;
    assert!(
        tenants
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["business_id"] == a.business["id"])
    );
    let (_, events) = app
        .get(&format!("/api/v1/audit-events?target={bu}"), k)
        .await;
    assert_eq!(events["items"], json!([]));
    let (_, events) = app.get("/api/v1/audit-events?limit=500", k).await;
    assert!(
        events["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["business_id"] == a.business["id"])
    );
    // B is untouched.
    let (_, still) = app.get(&format!("/api/v1/users/{bu}"), &b.admin_key).await;
    assert_eq!(still["status"], "pending");
    assert_eq!(still["groups"][0]["id"], bg);
}
