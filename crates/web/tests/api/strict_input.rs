//! What the API description rules out, the server refuses (and what it allows, the server
//! takes): bodies are JSON objects, numbers are numbers, cursors are only the ones a list
//! issued, query text has no control characters; and a change that changes nothing leaves no
//! audit event.

use gatehouse_domain::page::encode_cursor;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{App, assert_error, read};

crate::backend_tests!(
    bodies_are_objects,
    integral_numbers_are_integers,
    made_up_cursors_are_refused,
    control_characters_in_queries_are_refused,
    re_adding_a_member_changes_nothing,
);

async fn raw_body(
    app: &App,
    method: Method,
    path: &str,
    key: &str,
    body: &str,
) -> (StatusCode, Value) {
    let req = app
        .request(method, path, key)
        .header("content-type", "application/json")
        .body(body.to_owned());
    read(req.send().await.unwrap()).await
}

async fn bodies_are_objects(app: App) {
    let f = app.fixture("acme").await;
    let k = &f.admin_key;
    let (_, before) = app.get("/api/v1/settings/security", k).await;
    // serde reads a struct from an array by position: ["off", 7] would turn MFA off.
    for body in [
        r#"["off",7]"#,
        "null",
        "7",
        r#""off""#,
        r#"{"mfa_policy":"all","mfa_policy":"off"}"#,
    ] {
        assert_error(
            &raw_body(&app, Method::PATCH, "/api/v1/settings/security", k, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        );
    }
    assert_eq!(app.get("/api/v1/settings/security", k).await.1, before);
    // An optional body may be absent, never `null` or an array.
    let (_, user) = app
        .post("/api/v1/users", k, json!({ "email": "dana@example.com" }))
        .await;
    let deactivate = format!("/api/v1/users/{}/deactivate", user["id"].as_str().unwrap());
    let events = app.audit_count(k).await;
    for body in ["null", "[1]"] {
        assert_error(
            &raw_body(&app, Method::POST, &deactivate, k, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        );
    }
    assert_eq!(app.audit_count(k).await, events);
    let res = app
        .request(Method::POST, &deactivate, k)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

async fn integral_numbers_are_integers(app: App) {
    let f = app.fixture("acme").await;
    let k = &f.admin_key;
    // JSON Schema's `integer` takes 7.0 and 1e1: so does the server.
    let (status, settings) = app
        .patch(
            "/api/v1/settings/security",
            k,
            json!({ "mfa_grace_days": 7.0 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(settings["mfa_grace_days"], 7);
    let (status, settings) = raw_body(
        &app,
        Method::PATCH,
        "/api/v1/settings/security",
        k,
        r#"{"mfa_grace_days": 1e1}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(settings["mfa_grace_days"], 10);
    for days in [json!(7.5), json!(-1), json!(91)] {
        let got = app
            .patch(
                "/api/v1/settings/security",
                k,
                json!({ "mfa_grace_days": days }),
            )
            .await;
        assert_eq!(got.0, StatusCode::UNPROCESSABLE_ENTITY, "{days}: {}", got.1);
    }
}

async fn made_up_cursors_are_refused(app: App) {
    let f = app.fixture("acme").await;
    let k = &f.admin_key;
    let (_, group) = app
        .post(
            "/api/v1/groups",
            k,
            json!({ "name": "All", "type": "business" }),
        )
        .await;
    let gid = group["id"].as_str().unwrap().to_owned();
    for i in 0..3 {
        let (status, _) = app
            .post(
                "/api/v1/users",
                k,
                json!({ "email": format!("u{i}@example.com"), "display_name": format!("User {i}"), "group_ids": [gid] }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    // The cursors the lists issue work, in their own order.
    for sort in [
        "email",
        "email_desc",
        "name",
        "name_desc",
        "newest",
        "oldest",
    ] {
        let (status, page) = app
            .get(&format!("/api/v1/users?sort={sort}&limit=1"), k)
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let cursor = page["next_cursor"].as_str().unwrap();
        let (status, next) = app
            .get(
                &format!("/api/v1/users?sort={sort}&limit=1&cursor={cursor}"),
                k,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{sort}: {next}");
        assert_ne!(next["items"][0]["id"], page["items"][0]["id"]);
    }
    let (_, by_email) = app.get("/api/v1/users?limit=1", k).await;
    let email_cursor = by_email["next_cursor"].as_str().unwrap().to_owned();
    let (_, by_id) = app.get("/api/v1/users?sort=newest&limit=1", k).await;
    let id_cursor = by_id["next_cursor"].as_str().unwrap().to_owned();
    // Well-formed base64 of something no list made, or another order's cursor.
    let made_up = [
        ("/api/v1/users", encode_cursor("made-up")),
        ("/api/v1/users", encode_cursor("")),
        ("/api/v1/users?sort=newest", encode_cursor("made-up")),
        ("/api/v1/users?sort=newest", email_cursor.clone()),
        ("/api/v1/users?sort=name", email_cursor.clone()),
        ("/api/v1/users?sort=name", encode_cursor("user 1\u{1f}nope")),
        ("/api/v1/users", id_cursor),
        (
            &format!("/api/v1/groups/{gid}/members") as &str,
            encode_cursor("made-up"),
        ),
        ("/api/v1/audit-events", encode_cursor("made-up")),
        (
            "/api/v1/authz/who-can?permission=users.view",
            encode_cursor("made-up"),
        ),
    ];
    for (list, cursor) in made_up {
        let sep = if list.contains('?') { '&' } else { '?' };
        assert_error(
            &app.get(&format!("{list}{sep}cursor={cursor}"), k).await,
            StatusCode::BAD_REQUEST,
            "invalid_cursor",
        );
    }
    let (status, _) = app
        .get(
            &format!("/api/v1/groups/{gid}/members?limit=1&cursor={email_cursor}"),
            k,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

async fn control_characters_in_queries_are_refused(app: App) {
    let f = app.fixture("acme").await;
    let k = &f.admin_key;
    // NUL would reach PostgreSQL, which cannot hold it in text (a 500 before).
    for path in [
        "/api/v1/users?q=a%00b",
        "/api/v1/users?q=%1F",
        "/api/v1/users?q=%C2%85",
        "/api/v1/audit-events?actor=%00",
        "/api/v1/audit-events?target=x%00",
        "/api/v1/audit-events?action=user%0A",
    ] {
        assert_error(
            &app.get(path, k).await,
            StatusCode::BAD_REQUEST,
            "invalid_query",
        );
    }
    let (status, _) = app.get("/api/v1/users?q=%C3%A9", k).await;
    assert_eq!(status, StatusCode::OK, "non-ASCII text is fine");
}

async fn re_adding_a_member_changes_nothing(app: App) {
    let f = app.fixture("acme").await;
    let k = &f.admin_key;
    let (_, group) = app
        .post(
            "/api/v1/groups",
            k,
            json!({ "name": "All", "type": "business" }),
        )
        .await;
    let gid = group["id"].as_str().unwrap().to_owned();
    let (_, user) = app
        .post("/api/v1/users", k, json!({ "email": "dana@example.com" }))
        .await;
    let members = format!("/api/v1/groups/{gid}/members");
    let add = json!({ "user_ids": [user["id"]] });
    let (status, added) = app.post(&members, k, add.clone()).await;
    assert_eq!(status, StatusCode::OK, "{added}");
    assert_eq!(added["member_count"], 1);
    let events = app.audit_count(k).await;
    for body in [add, json!({ "user_ids": [] })] {
        let (status, again) = app.post(&members, k, body).await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again["member_count"], 1);
        assert_eq!(again["version"], added["version"]);
    }
    assert_eq!(app.audit_count(k).await, events, "no change, no event");
}
