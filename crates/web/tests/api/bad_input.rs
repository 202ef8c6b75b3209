//! Bad input of every kind gets a clear 4xx with a stable code, never a 500 or a partial write.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{App, assert_error, read};

crate::backend_tests!(malformed_bodies, routes_and_methods);

async fn malformed_bodies(app: App) {
    let f = app.fixture("acme").await;
    let k = &f.admin_key;
    let before = app.audit_count(k).await;
    let raw = |body: Vec<u8>, content_type: Option<&str>| {
        let mut req = app.request(Method::POST, "/api/v1/users", k).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        async move { read(req.send().await.unwrap()).await }
    };
    assert_error(
        &raw(b"{\"email\": ".to_vec(), Some("application/json")).await,
        StatusCode::BAD_REQUEST,
        "invalid_json",
    );
    assert_error(
        &raw(
            b"{\"email\": \"a\xff\xfe@example.com\"}".to_vec(),
            Some("application/json"),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_json",
    );
    assert_error(
        &raw(
            br#"{"email":"a@example.com","role":"admin"}"#.to_vec(),
            Some("application/json"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    );
    assert_error(
        &raw(br#"{"email": 42}"#.to_vec(), Some("application/json")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    );
    assert_error(
        &raw(br#"{}"#.to_vec(), Some("application/json")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    );
    assert_error(
        &raw(br#"{"email":"a@example.com"}"#.to_vec(), Some("text/plain")).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    assert_error(
        &raw(br#"{"email":"a@example.com"}"#.to_vec(), None).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let mut huge = br#"{"email":"a@example.com","display_name":""#.to_vec();
    huge.extend(std::iter::repeat_n(b'x', 2 * 1024 * 1024));
    huge.extend(br#""}"#);
    assert_error(
        &raw(huge, Some("application/json")).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    assert_error(
        &raw(
            br#"{"email":"'; DROP TABLE users; --@example.com"}"#.to_vec(),
            Some("application/json"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_email",
    );
    assert_error(
        &raw(
            br#"{"email":"a@example.com","display_name":"a\u0000b"}"#.to_vec(),
            Some("application/json"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_display_name",
    );
    // Optional bodies are checked as strictly.
    let res = app
        .request(
            Method::POST,
            "/api/v1/users/00000000-0000-7000-8000-000000000000/deactivate",
            k,
        )
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_error(&read(res).await, StatusCode::BAD_REQUEST, "invalid_json");
    assert_eq!(app.audit_count(k).await, before);
    assert_eq!(app.get("/api/v1/users", k).await.1["total"], 0);
    // The server is still fine.
    let (status, _) = app
        .post("/api/v1/users", k, json!({ "email": "ok@example.com" }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

async fn routes_and_methods(app: App) {
    let f = app.fixture("acme").await;
    let k = &f.admin_key;
    assert_error(
        &app.get("/api/v1/nope", k).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &app.get("/api/v1/users/not-a-uuid", k).await,
        StatusCode::BAD_REQUEST,
        "invalid_path",
    );
    assert_error(
        &app.call(Method::PUT, "/api/v1/users", k, Some(json!({})))
            .await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    assert_error(
        &app.get("/api/v1/groups/00000000-0000-7000-8000-000000000000", k)
            .await,
        StatusCode::NOT_FOUND,
        "group_not_found",
    );
}
