//! Credentials: who gets in, and API keys no larger than their creator.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{App, OPERATOR, assert_error};

crate::backend_tests!(
    missing_or_bad_credentials,
    permission_checked,
    api_key_cannot_exceed_creator,
    revoked_and_expired_keys_stop_working,
    api_key_secrets_never_listed
);

async fn missing_or_bad_credentials(app: App) {
    let f = app.fixture("acme").await;
    let res = app
        .client
        .get(format!("{}/api/v1/users", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    for bad in [
        "nope",
        "gho_wrong",
        "gth_00000000000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        assert_error(
            &app.get("/api/v1/users", bad).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        );
    }
    // A real key id with a wrong secret.
    let mut forged = f.admin_key.clone();
    forged.replace_range(forged.len() - 4.., "AAAA");
    assert_error(
        &app.get("/api/v1/users", &forged).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    let basic = app
        .client
        .get(format!("{}/api/v1/users", app.base))
        .header("authorization", "Basic Zm9vOmJhcg==")
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
}

async fn permission_checked(app: App) {
    let f = app.fixture("acme").await;
    let b = f.business["id"].as_str().unwrap();
    let viewer = app.key_for(b, json!({ "business": ["users.view"] })).await;
    assert_eq!(app.get("/api/v1/users", &viewer).await.0, StatusCode::OK);
    let denied = app
        .post(
            "/api/v1/users",
            &viewer,
            json!({ "email": "dana@example.com" }),
        )
        .await;
    assert_error(&denied, StatusCode::FORBIDDEN, "permission_denied");
    assert_eq!(denied.1["error"]["details"]["permission"], "users.manage");
    assert_error(
        &app.get("/api/v1/audit-events", &viewer).await,
        StatusCode::FORBIDDEN,
        "permission_denied",
    );
    assert_error(
        &app.get("/api/v1/api-keys", &viewer).await,
        StatusCode::FORBIDDEN,
        "permission_denied",
    );
    assert_error(
        &app.post(
            "/api/v1/groups",
            &viewer,
            json!({ "name": "g", "type": "business" }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "permission_denied",
    );
    // Nothing was created.
    let (_, users) = app.get("/api/v1/users", &f.admin_key).await;
    assert_eq!(users["total"], 0);
}

async fn api_key_cannot_exceed_creator(app: App) {
    let f = app.fixture("acme").await;
    let b = f.business["id"].as_str().unwrap();
    let limited = app
        .key_for(
            b,
            json!({ "business": ["api_keys.manage", "users.view"], "sandbox": ["analytics"] }),
        )
        .await;
    let before = app.audit_count(&f.admin_key).await;
    for permissions in [
        json!({ "business": ["users.manage"] }),
        json!({ "live": ["analytics"] }),
        json!({ "sandbox": ["analytics", "verification.delete"] }),
    ] {
        let got = app
            .post(
                "/api/v1/api-keys",
                &limited,
                json!({ "name": "bigger", "permissions": permissions }),
            )
            .await;
        assert_error(&got, StatusCode::FORBIDDEN, "would_escalate");
    }
    assert_eq!(app.audit_count(&f.admin_key).await, before);
    let (status, key) = app
        .post(
            "/api/v1/api-keys",
            &limited,
            json!({ "name": "smaller", "permissions": { "sandbox": ["analytics"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    assert_eq!(key["created_by"]["kind"], "api_key");
    assert!(key["token"].as_str().unwrap().starts_with("gth_"));
    assert_error(
        &app.post(
            "/api/v1/api-keys",
            &f.admin_key,
            json!({ "name": "x", "permissions": { "live": ["nope"] } }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_permission",
    );
}

async fn revoked_and_expired_keys_stop_working(app: App) {
    let f = app.fixture("acme").await;
    let (status, key) = app.post("/api/v1/api-keys", &f.admin_key, json!({ "name": "short", "permissions": { "business": ["users.view"] }, "expires_at": "2026-11-29T10:00:00Z" })).await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let token = key["token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/users", token).await.0, StatusCode::OK);
    app.clock.advance(time::Duration::hours(2));
    assert_error(
        &app.get("/api/v1/users", token).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );

    let (_, key) = app
        .post(
            "/api/v1/api-keys",
            &f.admin_key,
            json!({ "name": "doomed", "permissions": { "business": ["users.view"] } }),
        )
        .await;
    let token = key["token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/users", token).await.0, StatusCode::OK);
    let (status, revoked) = app
        .delete(
            &format!("/api/v1/api-keys/{}", key["id"].as_str().unwrap()),
            &f.admin_key,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(revoked["revoked_at"].is_string());
    assert_error(
        &app.get("/api/v1/users", token).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    assert_error(
        &app.delete(
            &format!("/api/v1/api-keys/{}", key["id"].as_str().unwrap()),
            &f.admin_key,
        )
        .await,
        StatusCode::CONFLICT,
        "api_key_already_revoked",
    );
    assert_error(
        &app.post(
            "/api/v1/api-keys",
            &f.admin_key,
            json!({ "name": "past", "expires_at": "2020-01-01T00:00:00Z" }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_expiry",
    );
}

async fn api_key_secrets_never_listed(app: App) {
    let f = app.fixture("acme").await;
    let (_, list) = app.get("/api/v1/api-keys", &f.admin_key).await;
    let text = list.to_string();
    assert!(!text.contains("token"));
    assert!(!text.contains(f.admin_key.split('_').next_back().unwrap()));
    assert!(
        list[0]["last_used_at"].is_string(),
        "use is recorded: {list}"
    );
    let res = app
        .request(Method::GET, "/api/v1/api-keys", OPERATOR)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
