//! Users over HTTP: create, read, filter, page, edit with versions, deactivate, reactivate.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{App, assert_error, read};

crate::backend_tests!(
    user_lifecycle,
    list_filters_and_paging,
    optimistic_concurrency
);

async fn user_lifecycle(app: App) {
    let f = app.fixture("acme").await;
    let k = &f.admin_key;
    let (status, g) = app.post("/api/v1/groups", k, json!({ "name": "Support", "type": "business", "permissions": { "sandbox": ["verification.view"] } })).await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let gid = g["id"].as_str().unwrap();
    let (status, u) = app
        .post(
            "/api/v1/users",
            k,
            json!({ "email": "Dana@Example.com", "display_name": "Dana", "group_ids": [gid] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{u}");
    assert_eq!(u["status"], "pending");
    assert_eq!(u["email"], "dana@example.com");
    assert_eq!(u["groups"][0]["name"], "Support");
    let id = u["id"].as_str().unwrap();
    assert_error(
        &app.post("/api/v1/users", k, json!({ "email": "DANA@example.com" }))
            .await,
        StatusCode::CONFLICT,
        "email_taken",
    );
    assert_error(
        &app.post("/api/v1/users", k, json!({ "email": "not-an-email" }))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_email",
    );
    assert_error(&app.post("/api/v1/users", k, json!({ "email": "x@example.com", "group_ids": ["00000000-0000-7000-8000-000000000000"] })).await, StatusCode::NOT_FOUND, "group_not_found");

    let (status, edited) = app
        .patch(
            &format!("/api/v1/users/{id}"),
            k,
            json!({ "display_name": "Dana K", "group_ids": [] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["display_name"], "Dana K");
    assert_eq!(edited["groups"], json!([]));
    assert_eq!(edited["version"], 2);

    let (status, d) = app
        .post(&format!("/api/v1/users/{id}/deactivate"), k, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["status"], "deactivated");
    // An empty body is fine too.
    let res = app
        .request(Method::POST, &format!("/api/v1/users/{id}/deactivate"), k)
        .send()
        .await
        .unwrap();
    assert_error(
        &read(res).await,
        StatusCode::CONFLICT,
        "user_status_unchanged",
    );
    let (status, r) = app
        .call(
            Method::POST,
            &format!("/api/v1/users/{id}/reactivate"),
            k,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "pending");
    let (_, mut got) = app.get(&format!("/api/v1/users/{id}"), k).await;
    // A single user also carries their invitation mail's delivery.
    let delivery = got.as_object_mut().unwrap().remove("invitation_mail");
    assert!(delivery.is_some_and(|d| d.is_object()));
    assert_eq!(got, r);
}

async fn list_filters_and_paging(app: App) {
    let f = app.fixture("acme").await;
    let k = &f.admin_key;
    let eu = f.tenants[0]["id"].as_str().unwrap();
    let (_, g) = app
        .post(
            "/api/v1/groups",
            k,
            json!({ "name": "EU", "type": "tenants", "tenant_ids": [eu] }),
        )
        .await;
    let gid = g["id"].as_str().unwrap().to_owned();
    for i in 0..12 {
        let groups = if i < 3 { json!([gid]) } else { json!([]) };
        let (status, _) = app.post("/api/v1/users", k, json!({ "email": format!("u{i:02}@example.com"), "display_name": format!("User {i}"), "group_ids": groups })).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (_, first) = app
        .post("/api/v1/users", k, json!({ "email": "zz@example.com" }))
        .await;
    app.post(
        &format!("/api/v1/users/{}/deactivate", first["id"].as_str().unwrap()),
        k,
        json!({}),
    )
    .await;

    let (_, page) = app.get("/api/v1/users?limit=5", k).await;
    assert_eq!(page["total"], 13);
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    let mut emails: Vec<String> = Vec::new();
    let mut cursor = None::<String>;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/users?limit=5&cursor={c}"),
            None => "/api/v1/users?limit=5".into(),
        };
        let (_, page) = app.get(&path, k).await;
        emails.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["email"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(emails.len(), 13);
    assert!(emails.windows(2).all(|w| w[0] < w[1]));

    assert_eq!(
        app.get("/api/v1/users?status=deactivated", k).await.1["total"],
        1
    );
    assert_eq!(
        app.get("/api/v1/users?status=pending", k).await.1["total"],
        12
    );
    assert_eq!(
        app.get(&format!("/api/v1/users?group={gid}"), k).await.1["total"],
        3
    );
    assert_eq!(
        app.get(&format!("/api/v1/users?tenant={eu}"), k).await.1["total"],
        3
    );
    assert_eq!(
        app.get(
            &format!(
                "/api/v1/users?tenant={}",
                f.tenants[1]["id"].as_str().unwrap()
            ),
            k
        )
        .await
        .1["total"],
        0
    );
    assert_eq!(app.get("/api/v1/users?q=U0", k).await.1["total"], 10);
    assert_eq!(app.get("/api/v1/users?q=user%201", k).await.1["total"], 3);
    assert_eq!(app.get("/api/v1/users?q=%25", k).await.1["total"], 0);
    assert_error(
        &app.get("/api/v1/users?status=sleepy", k).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    let (_, newest) = app.get("/api/v1/users?sort=newest&limit=1", k).await;
    assert_eq!(
        newest["items"][0]["email"], "zz@example.com",
        "the last one created"
    );
    let (_, desc) = app.get("/api/v1/users?sort=email_desc&limit=2", k).await;
    assert_eq!(desc["items"][0]["email"], "zz@example.com");
    assert_eq!(desc["items"][1]["email"], "u11@example.com");
    assert_error(
        &app.get("/api/v1/users?sort=shoe_size", k).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &app.get("/api/v1/users?limit=0", k).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_limit",
    );
    assert_error(
        &app.get("/api/v1/users?limit=501", k).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_limit",
    );
    assert_error(
        &app.get("/api/v1/users?cursor=%%%", k).await,
        StatusCode::BAD_REQUEST,
        "invalid_cursor",
    );
    assert_error(
        &app.get("/api/v1/users?cursor=!!", k).await,
        StatusCode::BAD_REQUEST,
        "invalid_cursor",
    );
    assert_error(
        &app.get("/api/v1/users?colour=blue", k).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
}

async fn optimistic_concurrency(app: App) {
    let f = app.fixture("acme").await;
    let k = &f.admin_key;
    let (_, u) = app
        .post(
            "/api/v1/users",
            k,
            json!({ "email": "dana@example.com", "display_name": "Dana" }),
        )
        .await;
    let path = format!("/api/v1/users/{}", u["id"].as_str().unwrap());
    let res = app.request(Method::GET, &path, k).send().await.unwrap();
    assert_eq!(res.headers()["etag"], "\"1\"");
    let ok = app
        .request(Method::PATCH, &path, k)
        .header("if-match", "\"1\"")
        .json(&json!({ "display_name": "Dana K" }))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.headers()["etag"], "\"2\"");
    let stale = app
        .request(Method::PATCH, &path, k)
        .header("if-match", "\"1\"")
        .json(&json!({ "display_name": "Mallory" }))
        .send()
        .await
        .unwrap();
    let stale = read(stale).await;
    assert_error(
        &stale,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
    );
    assert_eq!(stale.1["error"]["details"]["current_version"], 2);
    assert_error(
        &app.patch(&path, k, json!({ "display_name": "Mallory", "version": 1 }))
            .await,
        StatusCode::CONFLICT,
        "version_conflict",
    );
    let before = app.audit_count(k).await;
    let deact = app
        .request(Method::POST, &format!("{path}/deactivate"), k)
        .header("if-match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(deact.status(), StatusCode::PRECONDITION_FAILED);
    let bad = app
        .request(Method::PATCH, &path, k)
        .header("if-match", "banana")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_error(
        &read(bad).await,
        StatusCode::BAD_REQUEST,
        "invalid_if_match",
    );
    let (_, now) = app.get(&path, k).await;
    assert_eq!(now["display_name"], "Dana K");
    assert_eq!(now["status"], "pending");
    assert_eq!(
        app.audit_count(k).await,
        before,
        "refused changes write no audit event"
    );
}
