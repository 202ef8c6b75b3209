//! The edges of what tokens carry: a client credentials service never does more than the
//! administrator who made it can do now, and an access claim too large for a token is left
//! out with a marker (the decision API stays the authority).

use openidconnect::{OAuth2TokenResponse, TokenResponse};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::flow::jwt_payload;
use super::more::token_request;
use super::*;
use crate::browser::Browser;
use crate::helpers::App;
use crate::sign_in::member;

crate::backend_tests!(
    a_service_follows_its_creator_now,
    an_access_claim_too_large_is_left_out,
);

async fn a_service_follows_its_creator_now(app: App) {
    let f = app.fixture("acme").await;
    let (status, g) = app
        .post(
            "/api/v1/groups",
            &f.admin_key,
            json!({ "name": "Integrators", "type": "business", "acknowledge_sensitive": true,
                    "permissions": { "business": ["users.view", "users.manage", "applications.manage", "api_keys.manage", "authz.check"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let integrators = g["id"].as_str().unwrap().to_owned();
    let (mut ada, ada_id) = member(&app, &f, "ada@example.com", &[&integrators]).await;
    // A second holder of users.manage, so Ada may be deactivated.
    member(&app, &f, "bob@example.com", &[&integrators]).await;

    // Ada makes a service with rights she holds.
    let csrf = ada.csrf("acme").await;
    let made = ada
        .api(
            Method::POST,
            "/api/v1/applications",
            Some(&csrf),
            Some(
                json!({ "name": "Billing sync", "client_type": "confidential",
                         "grant_types": ["client_credentials"], "acknowledge_sensitive": true,
                         "service_permissions": { "business": ["users.view", "authz.check"] } }),
            ),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let made: Value = serde_json::from_str(&made.body).unwrap();
    let id = made["client_id"].as_str().unwrap().to_owned();
    let secret = made["client_secret"].as_str().unwrap().to_owned();
    let token = || async {
        let (status, body) = token_request(
            &app,
            &id,
            Some(&secret),
            &[("grant_type", "client_credentials")],
        )
        .await;
        (status, body["access_token"].as_str().map(str::to_owned))
    };
    let check = |token: String| {
        let app = &app;
        let who = ada_id.clone();
        async move {
            app.post(
                "/api/v1/authz/check",
                &token,
                json!({ "user_id": who, "permission": "users.view" }),
            )
            .await
            .0
        }
    };
    let (status, first) = token().await;
    assert_eq!(status, StatusCode::OK);
    let first = first.unwrap();
    assert_eq!(app.get("/api/v1/users", &first).await.0, StatusCode::OK);
    assert_eq!(check(first.clone()).await, StatusCode::OK);

    // Ada loses users.view: the service's token issued before loses it at once, and so
    // does a new one; what she keeps, it keeps.
    let (status, body) = app
        .patch(
            &format!("/api/v1/groups/{integrators}"),
            &f.admin_key,
            json!({ "acknowledge_sensitive": true,
                    "permissions": { "business": ["users.manage", "applications.manage", "api_keys.manage", "authz.check"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let got = app.get("/api/v1/users", &first).await;
    assert_eq!(got.0, StatusCode::FORBIDDEN, "{}", got.1);
    assert_eq!(check(first.clone()).await, StatusCode::OK);
    let (status, second) = token().await;
    assert_eq!(status, StatusCode::OK);
    let second = second.unwrap();
    assert_eq!(
        app.get("/api/v1/users", &second).await.0,
        StatusCode::FORBIDDEN
    );

    // Ada is deactivated: every token of the service stops at once.
    let (status, body) = app
        .post(
            &format!("/api/v1/users/{ada_id}/deactivate"),
            &f.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(check(first).await, StatusCode::UNAUTHORIZED);
    assert_eq!(check(second).await, StatusCode::UNAUTHORIZED);

    // Reactivated, she holds her rights again, and so does her service.
    let (status, _) = app
        .post(
            &format!("/api/v1/users/{ada_id}/reactivate"),
            &f.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, third) = token().await;
    assert_eq!(check(third.unwrap()).await, StatusCode::OK);
}

/// Environment permissions Dana gets in the `i`-th extra tenant: a different list each.
fn rights_of(i: usize) -> Vec<&'static str> {
    const ENV: [&str; 6] = [
        "verification.perform",
        "verification.view",
        "verification.manual_decision",
        "flow_builder",
        "theme_designer",
        "analytics",
    ];
    ENV.iter()
        .enumerate()
        .filter(|(bit, _)| (i + 1) & (1 << bit) != 0)
        .map(|(_, p)| *p)
        .collect()
}

async fn an_access_claim_too_large_is_left_out(app: App) {
    let (f, secret) = dana(&app).await;
    let business = f.business["id"].as_str().unwrap();
    let (_, users) = app.get("/api/v1/users?q=dana", &f.admin_key).await;
    let dana_id = users["items"][0]["id"].as_str().unwrap().to_owned();
    let mut groups: Vec<String> = users["items"][0]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap().to_owned())
        .collect();
    // 40 tenants, each with its own set of rights in both environments: every one is an
    // entry of its own in the claim, well over 4 KB together.
    for i in 0..40 {
        let (status, tenant) = app
            .post(
                &format!("/api/v1/businesses/{business}/tenants"),
                crate::helpers::OPERATOR,
                json!({ "name": format!("Region {i}"), "slug": format!("region-{i}") }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{tenant}");
        let rights = rights_of(i);
        let (status, g) = app
            .post(
                "/api/v1/groups",
                &f.admin_key,
                json!({ "name": format!("Region {i} team"), "type": "tenants",
                        "tenant_ids": [tenant["id"]],
                        "permissions": { "live": rights, "sandbox": rights } }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{g}");
        groups.push(g["id"].as_str().unwrap().to_owned());
    }
    let (status, body) = app
        .patch(
            &format!("/api/v1/users/{dana_id}"),
            &f.admin_key,
            json!({ "group_ids": groups }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (client_id, client_secret) = register(&app, &f, json!({})).await;
    let rp = relying_party(&app, &client_id, client_secret.as_deref()).await;
    let started = start(&rp, &["gatehouse:access", "email"]);
    let mut b = Browser::new(&app);
    let back = sign_in_through(&app, &mut b, &started.url, &secret).await;
    let tokens = exchange(&rp, &query(&back)["code"], started.verifier)
        .await
        .unwrap();
    for jwt in [
        tokens.id_token().unwrap().to_string(),
        tokens.access_token().secret().clone(),
    ] {
        let payload = jwt_payload(&jwt);
        assert_eq!(payload["permissions_omitted"], "too_large", "{payload}");
        assert!(payload.get("permissions").is_none(), "{payload}");
        // The groups still travel, and the token stays small.
        assert_eq!(payload["groups"].as_array().unwrap().len(), 41, "{payload}");
        assert!(jwt.len() < 8 * 1024, "{} bytes", jwt.len());
    }

    // The decision API answers what the claim left out: region 7 (8 = 0b1000) grants
    // flow_builder alone.
    let tenant_7 = app
        .get(
            &format!("/api/v1/businesses/{business}/tenants"),
            crate::helpers::OPERATOR,
        )
        .await
        .1;
    let tenant_7 = tenant_7["items"]
        .as_array()
        .or_else(|| tenant_7.as_array())
        .unwrap()
        .iter()
        .find(|t| t["slug"] == "region-7")
        .unwrap()["id"]
        .clone();
    for (permission, allowed) in [("flow_builder", true), ("verification.perform", false)] {
        let (status, d) = app
            .post(
                "/api/v1/authz/check",
                &f.admin_key,
                json!({ "user_id": dana_id, "permission": permission,
                        "tenant_id": tenant_7, "environment": "live" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{d}");
        assert_eq!(d["allowed"], allowed, "{permission}: {d}");
    }
}
