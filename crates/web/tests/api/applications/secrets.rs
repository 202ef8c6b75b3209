//! Confidential and public clients: the secret is in the creation's answer once, never in a
//! listing or a read, only its hash is kept, and a rotation ends the old one at once.

use gatehouse_domain::oidc::applications::verify_client_secret;
use reqwest::StatusCode;
use serde_json::json;

use super::{CB, by_client_id, web_app};
use crate::helpers::{App, assert_error};

crate::backend_tests!(secret_shown_once_and_rotated, public_clients_have_no_secret);

async fn secret_shown_once_and_rotated(app: App) {
    let f = app.fixture("acme").await;
    let (status, created) = app
        .post("/api/v1/applications", &f.admin_key, web_app("Portal"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("gcs_") && secret.len() == 47, "{secret}");
    assert_eq!(created["client_id"], created["id"]);
    assert_eq!(created["has_secret"], true);
    assert_eq!(created["first_party"], true);
    assert_eq!(
        created["allowed_scopes"],
        json!(["openid", "profile", "email"]),
        "the defaults"
    );
    assert_eq!(
        created["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(created["access_token_ttl_secs"], 600);
    assert_eq!(created["refresh_token_ttl_secs"], 30 * 86_400);
    assert_eq!(created["id_token_ttl_secs"], 600);
    assert_eq!(created["id_token_signed_response_alg"], "ES256");
    assert_eq!(created["service_permissions"], serde_json::Value::Null);
    let id = created["id"].as_str().unwrap().to_owned();

    // Never again: not in the list, not in a read, not in the audit trail.
    let (status, list) = app.get("/api/v1/applications", &f.admin_key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, one) = app
        .get(&format!("/api/v1/applications/{id}"), &f.admin_key)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["redirect_uris"][0], CB);
    let (_, audit) = app
        .get("/api/v1/audit-events?limit=500", &f.admin_key)
        .await;
    for text in [list.to_string(), one.to_string(), audit.to_string()] {
        assert!(!text.contains(&secret[4..]), "the secret leaked: {text}");
        assert!(!text.contains("client_secret"), "{text}");
    }
    assert!(audit.to_string().contains("application.created"));

    // The flows' view: the stored hash matches the secret, nothing else.
    let stored = by_client_id(&app, &f, &created["client_id"]).await.unwrap();
    assert!(verify_client_secret(&stored, &secret));
    assert!(!verify_client_secret(&stored, "gcs_not-the-secret"));
    assert!(!verify_client_secret(&stored, ""));
    assert!(stored.has_redirect_uri(CB));
    assert!(!stored.has_redirect_uri("https://portal.example.com/callback/"));

    // Rotation: a new secret once; the old one stops at once.
    app.clock.advance(time::Duration::minutes(5));
    let (status, rotated) = app
        .post(
            &format!("/api/v1/applications/{id}/secret"),
            &f.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    assert_ne!(rotated["secret_rotated_at"], created["secret_rotated_at"]);
    let stored = by_client_id(&app, &f, &created["client_id"]).await.unwrap();
    assert!(
        !verify_client_secret(&stored, &secret),
        "the old secret is over"
    );
    assert!(verify_client_secret(&stored, new_secret));
    let (_, audit) = app
        .get(
            "/api/v1/audit-events?action=application&limit=50",
            &f.admin_key,
        )
        .await;
    assert!(
        audit.to_string().contains("application.secret_rotated"),
        "{audit}"
    );
    assert!(!audit.to_string().contains(&new_secret[4..]));

    // Deleted: gone for the API and for the flows.
    let (status, _) = app
        .delete(&format!("/api/v1/applications/{id}"), &f.admin_key)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        by_client_id(&app, &f, &created["client_id"])
            .await
            .is_none()
    );
    assert_error(
        &app.get(&format!("/api/v1/applications/{id}"), &f.admin_key)
            .await,
        StatusCode::NOT_FOUND,
        "application_not_found",
    );
    assert_error(
        &app.delete(&format!("/api/v1/applications/{id}"), &f.admin_key)
            .await,
        StatusCode::NOT_FOUND,
        "application_not_found",
    );
}

async fn public_clients_have_no_secret(app: App) {
    let f = app.fixture("acme").await;
    let (status, created) = app
        .post(
            "/api/v1/applications",
            &f.admin_key,
            json!({ "name": "Mobile", "client_type": "public",
                    "redirect_uris": ["http://[::1]:7000/cb", "http://localhost/cb"],
                    "allowed_scopes": ["email"], "grant_types": ["authorization_code"],
                    "require_mfa": true, "id_token_signed_response_alg": "RS256",
                    "access_token_ttl_secs": 60, "refresh_token_ttl_secs": 3600,
                    "id_token_ttl_secs": 3600 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(created.get("client_secret").is_none(), "{created}");
    assert_eq!(created["has_secret"], false);
    assert_eq!(created["first_party"], false, "third-party by default");
    assert_eq!(
        created["allowed_scopes"],
        json!(["openid", "email"]),
        "openid always"
    );
    assert_eq!(created["require_mfa"], true);
    assert_eq!(created["id_token_signed_response_alg"], "RS256");
    assert_eq!(created["access_token_ttl_secs"], 60);
    let stored = by_client_id(&app, &f, &created["client_id"]).await.unwrap();
    assert!(
        !verify_client_secret(&stored, ""),
        "no secret matches nothing"
    );
    assert!(by_client_id(&app, &f, &json!("not-an-id")).await.is_none());
    let id = created["id"].as_str().unwrap();
    assert_error(
        &app.post(
            &format!("/api/v1/applications/{id}/secret"),
            &f.admin_key,
            json!({}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no_client_secret",
    );
}
