//! Issue 8, defect 5: an API key made by a user never does more than that user can do now:
//! the creator's deactivation stops it at once, a narrowed creator narrows it, and keys made
//! by the operator are unaffected. The API and the page name each key's creator.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::App;
use crate::sign_in::member;

crate::backend_tests!(keys_follow_their_creator_now);

async fn keys_follow_their_creator_now(app: App) {
    let f = app.fixture("acme").await;
    let (status, g) = app
        .post(
            "/api/v1/groups",
            &f.admin_key,
            json!({ "name": "Key makers", "type": "business", "acknowledge_sensitive": true,
                    "permissions": { "business": ["users.view", "users.manage", "groups.manage", "api_keys.manage", "authz.check"],
                                     "live": ["analytics"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let makers = g["id"].as_str().unwrap().to_owned();
    // Live access: the default policy has Ada enrol first.
    let (mut ada, ada_id) = member(&app, &f, "ada@example.com", &[&makers]).await;
    ada.enrol("acme").await;
    // A second administrator, so Ada may be deactivated.
    member(&app, &f, "bob@example.com", &[&makers]).await;
    let csrf = ada.csrf("acme").await;
    let made = ada
        .api(
            Method::POST,
            "/api/v1/api-keys",
            Some(&csrf),
            Some(json!({ "name": "ada's script", "acknowledge_sensitive": true,
                         "permissions": { "business": ["users.view", "authz.check"], "live": ["analytics"] } })),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let made: serde_json::Value = serde_json::from_str(&made.body).unwrap();
    let key = made["token"].as_str().unwrap().to_owned();
    assert_eq!(made["created_by"]["kind"], "user", "{made}");
    assert_eq!(made["created_by"]["id"], ada_id.as_str());
    let check = |key: String| {
        let app = &app;
        let tenant = f.tenants[0]["id"].clone();
        let who = ada_id.clone();
        async move {
            app.post(
                "/api/v1/authz/check",
                &key,
                json!({ "user_id": who, "permission": "analytics", "tenant_id": tenant, "environment": "live" }),
            )
            .await
            .0
        }
    };
    assert_eq!(app.get("/api/v1/users", &key).await.0, StatusCode::OK);
    assert_eq!(check(key.clone()).await, StatusCode::OK);

    // Ada loses users.view: so does her key, at once; what she keeps, it keeps.
    let (status, body) = app
        .patch(
            &format!("/api/v1/groups/{makers}"),
            &f.admin_key,
            json!({ "acknowledge_sensitive": true,
                    "permissions": { "business": ["users.manage", "groups.manage", "api_keys.manage", "authz.check"], "live": ["analytics"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.get("/api/v1/users", &key).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(check(key.clone()).await, StatusCode::OK);

    // Ada is deactivated: the key stops at once; the operator's key is untouched.
    let (status, body) = app
        .post(
            &format!("/api/v1/users/{ada_id}/deactivate"),
            &f.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(check(key.clone()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/v1/users", &f.admin_key).await.0,
        StatusCode::OK
    );

    // The API and the page name the creator.
    let (_, keys) = app.get("/api/v1/api-keys", &f.admin_key).await;
    let listed = keys["items"]
        .as_array()
        .or_else(|| keys.as_array())
        .unwrap()
        .iter()
        .find(|k| k["name"] == "ada's script")
        .cloned()
        .unwrap();
    assert_eq!(listed["created_by"]["label"], "ada@example.com");

    // Reactivated, she holds her rights again, and so does the key.
    let (status, _) = app
        .post(
            &format!("/api/v1/users/{ada_id}/reactivate"),
            &f.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(check(key).await, StatusCode::OK);
}
