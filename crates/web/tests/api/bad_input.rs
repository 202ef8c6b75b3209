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
    let too_large = oversized_body(&app, k).await;
    assert_error(
        &too_large,
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

/// A request declaring a body over the 1 MiB limit. Sent over a raw socket without the body:
/// the server refuses on the declared length before reading any of it, and a client still
/// pushing megabytes at a socket the server has closed would race its reset against the
/// response.
async fn oversized_body(app: &App, key: &str) -> (StatusCode, serde_json::Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/users HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        2 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8(response).unwrap();
    let status: u16 = text.split(' ').nth(1).unwrap().parse().unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    let json = body.find('{').map_or(serde_json::Value::Null, |i| {
        let end = body.rfind('}').unwrap();
        serde_json::from_str(&body[i..=end]).unwrap()
    });
    (StatusCode::from_u16(status).unwrap(), json)
}
