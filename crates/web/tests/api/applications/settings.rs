//! The rules of an application's settings, each refused with its code and field: redirect
//! URIs (https except loopback, no fragment, absolute, at most 2048 bytes, exact), grant
//! types that fit the client, lifetimes within bounds, unknown fields; and changes to them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{CB, web_app};
use crate::helpers::{App, assert_error};

crate::backend_tests!(bad_settings_are_refused, settings_change);

/// `web_app` with `field` set to `value`.
fn with(field: &str, value: Value) -> Value {
    let mut body = web_app("Portal");
    body[field] = value;
    body
}

#[track_caller]
fn refused(got: &(StatusCode, Value), code: &str, field: &str) {
    assert_error(got, StatusCode::UNPROCESSABLE_ENTITY, code);
    assert_eq!(got.1["error"]["details"]["field"], field, "{}", got.1);
}

async fn bad_settings_are_refused(app: App) {
    let f = app.fixture("acme").await;
    let create = |body: Value| app.post("/api/v1/applications", &f.admin_key, body);
    let too_long = format!("https://portal.example.com/{}", "a".repeat(2048));
    for bad in [
        "http://portal.example.com/callback",
        "https://portal.example.com/callback#top",
        "/callback",
        "portal.example.com/callback",
        "https://user:pass@portal.example.com/callback",
        "https://*.example.com/callback",
        too_long.as_str(),
    ] {
        let got = create(with("redirect_uris", json!([bad]))).await;
        refused(&got, "invalid_redirect_uri", "redirect_uris");
        let got = create(with("post_logout_redirect_uris", json!([bad]))).await;
        refused(&got, "invalid_redirect_uri", "post_logout_redirect_uris");
        let got = create(with("backchannel_logout_uri", json!(bad))).await;
        refused(
            &got,
            "invalid_backchannel_logout_uri",
            "backchannel_logout_uri",
        );
    }
    let many: Vec<String> = (0..21)
        .map(|i| format!("https://a.example.com/{i}"))
        .collect();
    refused(
        &create(with("redirect_uris", json!(many))).await,
        "invalid_redirect_uri",
        "redirect_uris",
    );
    refused(
        &create(with("redirect_uris", json!([]))).await,
        "invalid_redirect_uri",
        "redirect_uris",
    );

    let mut public_service = with("grant_types", json!(["client_credentials"]));
    public_service["client_type"] = json!("public");
    refused(
        &create(public_service).await,
        "invalid_grant_types",
        "grant_types",
    );
    refused(
        &create(with("grant_types", json!(["refresh_token"]))).await,
        "invalid_grant_types",
        "grant_types",
    );
    refused(
        &create(with("grant_types", json!([]))).await,
        "invalid_grant_types",
        "grant_types",
    );
    for (field, value) in [
        ("access_token_ttl_secs", 59),
        ("access_token_ttl_secs", 3601),
        ("refresh_token_ttl_secs", 3599),
        ("refresh_token_ttl_secs", 90 * 86_400 + 1),
        ("id_token_ttl_secs", 0),
    ] {
        refused(
            &create(with(field, json!(value))).await,
            "invalid_token_lifetime",
            field,
        );
    }
    refused(
        &create(with(
            "service_permissions",
            json!({ "business": ["authz.check"] }),
        ))
        .await,
        "invalid_service_permissions",
        "service_permissions",
    );
    refused(
        &create(with("name", json!("  "))).await,
        "invalid_name",
        "name",
    );
    // Strict input: what the API does not know is refused, closed sets included.
    for (field, value) in [
        ("client_secret", json!("gcs_mine")),
        ("grant_types", json!(["implicit"])),
        ("grant_types", json!(["password"])),
        ("allowed_scopes", json!(["admin"])),
        ("id_token_signed_response_alg", json!("HS256")),
        ("id_token_signed_response_alg", json!("none")),
        ("client_type", json!("trusted")),
    ] {
        assert_error(
            &create(with(field, value)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        );
    }
    let (_, list) = app.get("/api/v1/applications", &f.admin_key).await;
    assert_eq!(list, json!([]), "nothing was written");
}

async fn settings_change(app: App) {
    let f = app.fixture("acme").await;
    let (_, created) = app
        .post("/api/v1/applications", &f.admin_key, web_app("Portal"))
        .await;
    let path = format!("/api/v1/applications/{}", created["id"].as_str().unwrap());
    let (status, changed) = app
        .patch(
            &path,
            &f.admin_key,
            json!({ "name": "Customer portal", "redirect_uris": ["https://portal.example.com/cb2"],
                    "backchannel_logout_uri": null, "first_party": false,
                    "allowed_scopes": ["offline_access", "gatehouse:access"],
                    "access_token_ttl_secs": 300 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["name"], "Customer portal");
    assert_eq!(
        changed["redirect_uris"],
        json!(["https://portal.example.com/cb2"])
    );
    assert_eq!(
        changed["backchannel_logout_uri"],
        Value::Null,
        "null removes it"
    );
    assert_eq!(
        changed["post_logout_redirect_uris"],
        created["post_logout_redirect_uris"]
    );
    assert_eq!(
        changed["allowed_scopes"],
        json!(["openid", "offline_access", "gatehouse:access"])
    );
    assert_eq!(changed["access_token_ttl_secs"], 300);
    assert_eq!(changed["has_secret"], true, "the secret stays");
    let (_, audit) = app
        .get(
            "/api/v1/audit-events?action=application.updated",
            &f.admin_key,
        )
        .await;
    let event = &audit["items"][0];
    assert_eq!(event["before"]["name"], "Portal", "{event}");
    assert_eq!(event["after"]["name"], "Customer portal");

    // The client type does not change; bad values change nothing.
    assert_error(
        &app.patch(&path, &f.admin_key, json!({ "client_type": "public" }))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    );
    refused(
        &app.patch(&path, &f.admin_key, json!({ "redirect_uris": [] }))
            .await,
        "invalid_redirect_uri",
        "redirect_uris",
    );
    refused(
        &app.patch(
            &path,
            &f.admin_key,
            json!({ "redirect_uris": [CB], "grant_types": ["refresh_token"] }),
        )
        .await,
        "invalid_grant_types",
        "grant_types",
    );
    let (_, now) = app.get(&path, &f.admin_key).await;
    assert_eq!(now, changed);
}
