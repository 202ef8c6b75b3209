//! More of the provider, end to end on both backends: the client credentials grant used
//! against the decision API, RS256 ID tokens, introspection and revocation, and back-channel
//! logout delivered through an endpoint that fails at first.

use std::sync::atomic::{AtomicUsize, Ordering};

use openidconnect::{OAuth2TokenResponse, TokenResponse};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::flow::jwt_payload;
use super::*;
use crate::browser::Browser;
use crate::helpers::{App, assert_error};

crate::backend_tests!(
    client_credentials_for_the_decision_api,
    rs256_id_tokens_verify_against_the_jwks,
    introspection_and_revocation,
    backchannel_logout_is_retried_after_deactivation,
);

/// `POST /b/acme/oauth2/token` with `form`, as `id` (Basic when a secret is given).
pub async fn token_request(
    app: &App,
    id: &str,
    secret: Option<&str>,
    form: &[(&str, &str)],
) -> (StatusCode, Value) {
    endpoint(app, "token", id, secret, form).await
}

/// A form `POST` to `/b/acme/oauth2/{name}` as the client `id`.
pub async fn endpoint(
    app: &App,
    name: &str,
    id: &str,
    secret: Option<&str>,
    form: &[(&str, &str)],
) -> (StatusCode, Value) {
    let req = app
        .client
        .post(format!("{}/b/acme/oauth2/{name}", app.base));
    let mut all: Vec<(&str, &str)> = form.to_vec();
    let req = match secret {
        Some(s) => req.basic_auth(id, Some(s)),
        None => {
            all.push(("client_id", id));
            req
        }
    };
    let res = req.form(&all).send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Dana signed in through `rp` in a new browser: the tokens of the code, and the nonce.
async fn signed_in(
    app: &App,
    rp: &Client,
    scopes: &[&str],
    secret: &[u8],
) -> (openidconnect::core::CoreTokenResponse, openidconnect::Nonce) {
    let started = start(rp, scopes);
    let mut b = Browser::new(app);
    let back = sign_in_through(app, &mut b, &started.url, secret).await;
    let tokens = exchange(rp, &query(&back)["code"], started.verifier)
        .await
        .unwrap();
    (tokens, started.nonce)
}

async fn dana_id(app: &App, f: &crate::helpers::Fixture) -> String {
    let (_, users) = app.get("/api/v1/users?q=dana", &f.admin_key).await;
    users["items"][0]["id"].as_str().unwrap().to_owned()
}

async fn client_credentials_for_the_decision_api(app: App) {
    let (f, _) = dana(&app).await;
    let dana = dana_id(&app, &f).await;
    let (status, created) = app
        .post(
            "/api/v1/applications",
            &f.admin_key,
            json!({ "name": "Billing sync", "client_type": "confidential",
                    "grant_types": ["client_credentials"],
                    "service_permissions": { "business": ["authz.check"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();

    let (status, tokens) = token_request(
        &app,
        &id,
        Some(&secret),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(
        tokens["token_type"].as_str().map(str::to_lowercase),
        Some("bearer".into())
    );
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    assert!(tokens.get("id_token").is_none(), "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_owned();

    // The token answers real questions at the decision API: Dana's Live group gives
    // analytics in its tenants, not a business permission she lacks.
    let (status, d) = app
        .post(
            "/api/v1/authz/check",
            &access,
            json!({ "user_id": dana, "permission": "users.view" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["allowed"], false, "{d}");
    // …but only what its service rights allow.
    let got = app.get("/api/v1/users", &access).await;
    assert_error(&got, StatusCode::FORBIDDEN, "permission_denied");

    // A public client, and an application without the grant: unauthorized_client.
    let (public_id, _) =
        register(&app, &f, json!({ "name": "Spa", "client_type": "public" })).await;
    let (status, body) = token_request(
        &app,
        &public_id,
        None,
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "unauthorized_client", "{body}");
    let (web_id, web_secret) = register(&app, &f, json!({ "name": "Web" })).await;
    let (status, body) = token_request(
        &app,
        &web_id,
        web_secret.as_deref(),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "unauthorized_client", "{body}");

    // Deleting the application ends its tokens.
    let app_id = created["id"].as_str().unwrap();
    let (status, _) = app
        .delete(&format!("/api/v1/applications/{app_id}"), &f.admin_key)
        .await;
    assert!(status.is_success(), "{status}");
    let got = app
        .post(
            "/api/v1/authz/check",
            &access,
            json!({ "user_id": dana, "permission": "users.view" }),
        )
        .await;
    assert_eq!(got.0, StatusCode::UNAUTHORIZED, "{}", got.1);
}

async fn rs256_id_tokens_verify_against_the_jwks(app: App) {
    let (f, secret) = dana(&app).await;
    let (id, client_secret) =
        register(&app, &f, json!({ "id_token_signed_response_alg": "RS256" })).await;
    let rp = relying_party(&app, &id, client_secret.as_deref()).await;
    let (tokens, nonce) = signed_in(&app, &rp, &["email"], &secret).await;
    let id_token = tokens.id_token().unwrap();
    let header = id_token.to_string();
    let header = header.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(
        &data_encoding::BASE64URL_NOPAD
            .decode(header.as_bytes())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "RS256", "{header}");
    // Only RS256 allowed: the library finds the key in the JWKS and checks the signature.
    let verifier = id_verifier(&app, &rp).set_allowed_algs(vec![
        openidconnect::core::CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    ]);
    let claims = id_token.claims(&verifier, &nonce).unwrap();
    assert_eq!(claims.email().map(|e| e.as_str()), Some("dana@example.com"));
}

async fn introspection_and_revocation(app: App) {
    let (f, secret) = dana(&app).await;
    let (id, client_secret) = register(&app, &f, json!({})).await;
    let client_secret = client_secret.unwrap();
    let rp = relying_party(&app, &id, Some(&client_secret)).await;
    let (tokens, _) = signed_in(&app, &rp, &["email", "offline_access"], &secret).await;
    let access = tokens.access_token().secret().clone();
    let refresh = tokens.refresh_token().unwrap().secret().clone();
    let sub = jwt_payload(&tokens.id_token().unwrap().to_string())["sub"].clone();

    let introspect = |token: String| {
        let (app, id, s) = (&app, id.clone(), client_secret.clone());
        async move { endpoint(app, "introspect", &id, Some(&s), &[("token", &token)]).await }
    };
    for token in [&access, &refresh] {
        let (status, body) = introspect(token.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["active"], true, "{body}");
        assert_eq!(body["client_id"], id.as_str(), "{body}");
        assert_eq!(body["sub"], sub, "{body}");
        let scope = body["scope"].as_str().unwrap();
        assert!(scope.split(' ').any(|s| s == "email"), "{body}");
    }

    // A public client may not introspect.
    let (public_id, _) =
        register(&app, &f, json!({ "name": "Spa", "client_type": "public" })).await;
    let (status, body) =
        endpoint(&app, "introspect", &public_id, None, &[("token", &access)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // Revocation answers 200, even for a token it never issued…
    let (status, _) = endpoint(
        &app,
        "revoke",
        &id,
        Some(&client_secret),
        &[("token", "no-such-token")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // …and revoking the refresh token ends the access token of its grant too.
    let (status, _) = endpoint(
        &app,
        "revoke",
        &id,
        Some(&client_secret),
        &[("token", &refresh), ("token_type_hint", "refresh_token")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for token in [&access, &refresh] {
        let (status, body) = introspect(token.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, json!({ "active": false }));
    }
    let refreshed = rp
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .unwrap()
        .request_async(&http())
        .await;
    assert!(
        format!("{refreshed:?}").contains("invalid_grant"),
        "{refreshed:?}"
    );
}

/// A back-channel endpoint that answers 500 to its first `failures` calls, then 200.
async fn flaky_listener(failures: usize, received: Received, calls: Arc<AtomicUsize>) -> String {
    use axum::routing::post;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = axum::Router::new().route(
        "/bc",
        post(move |body: axum::body::Bytes| {
            let (received, calls) = (received.clone(), calls.clone());
            async move {
                if calls.fetch_add(1, Ordering::SeqCst) < failures {
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap();
                if let Some((_, t)) = form.into_iter().find(|(k, _)| k == "logout_token") {
                    received.0.lock().unwrap().push(t);
                }
                StatusCode::OK
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://127.0.0.1:{port}/bc")
}

async fn backchannel_logout_is_retried_after_deactivation(app: App) {
    let (f, secret) = dana(&app).await;
    let received = Received::default();
    let calls = Arc::new(AtomicUsize::new(0));
    let bc = flaky_listener(2, received.clone(), calls.clone()).await;
    let (id, client_secret) = register(&app, &f, json!({ "backchannel_logout_uri": bc })).await;
    let rp = relying_party(&app, &id, client_secret.as_deref()).await;
    let (tokens, _) = signed_in(&app, &rp, &["email"], &secret).await;
    let id_claims = jwt_payload(&tokens.id_token().unwrap().to_string());

    let dana = dana_id(&app, &f).await;
    let (status, body) = app
        .post(
            &format!("/api/v1/users/{dana}/deactivate"),
            &f.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let mut token = None;
    for _ in 0..200 {
        if let Some(t) = received.0.lock().unwrap().first().cloned() {
            token = Some(t);
            break;
        }
        // Retries fall due on the server's (manual) clock.
        app.clock.advance(time::Duration::seconds(1));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let token = token.unwrap_or_else(|| {
        panic!(
            "no logout token after {} calls",
            calls.load(Ordering::SeqCst)
        )
    });
    assert!(
        calls.load(Ordering::SeqCst) >= 3,
        "two refusals, then accepted"
    );
    let claims: Value = app.gh.verify_jwt(&token, &["logout+jwt"]).unwrap();
    assert_eq!(claims["aud"], id.as_str());
    assert_eq!(claims["sid"], id_claims["sid"]);
    assert_eq!(claims["sub"], id_claims["sub"]);

    let mut delivered = false;
    for _ in 0..100 {
        let actions = app.audit_actions(&f.admin_key).await;
        if actions
            .iter()
            .any(|a| a == "oauth.backchannel_logout_delivered")
        {
            delivered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(delivered, "the delivery is audited");
    // Delivered once: no more calls after the 200.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(received.0.lock().unwrap().len(), 1);
}
