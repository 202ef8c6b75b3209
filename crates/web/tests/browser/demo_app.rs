//! The example application (`examples/demo-app`) against a real Gatehouse, both in-process:
//! registered through the API, it signs Dana in through Gatehouse's own sign-in page
//! (OpenID Connect with PKCE), shows her email and group, asks the decision API with its
//! own client credentials token (Live reports allowed, Sandbox tools denied), and signs
//! her out of both (RP-initiated logout: the next sign-in asks for her password again).

use reqwest::Method;
use serde_json::json;

use crate::driver::Driver;
use crate::flows::{PW, call};
use crate::server::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_app_signs_in_shows_groups_and_gates_features() {
    let Some(mut driver) = Driver::start().await else {
        return;
    };
    let srv = Server::start().await;
    // The demo app checks its ID tokens against the real time: bring the server's clock to it.
    {
        use gatehouse_domain::{Clock, SystemClock};
        srv.clock.advance(SystemClock.now() - srv.clock.now());
    }

    // The business, its tenant and an administrator's key, as the operator makes them.
    let business = srv
        .operator(
            "/api/v1/businesses",
            json!({ "name": "Acme Corp", "slug": "acme" }),
        )
        .await;
    let id = business["id"].as_str().unwrap();
    let tenant = srv
        .operator(
            &format!("/api/v1/businesses/{id}/tenants"),
            json!({ "name": "United Kingdom", "slug": "uk" }),
        )
        .await;
    let key = srv
        .operator(
            &format!("/api/v1/businesses/{id}/api-keys"),
            json!({ "name": "setup", "acknowledge_sensitive": true, "permissions": { "business": [
                "users.view", "users.manage", "groups.manage", "settings.manage",
                "api_keys.manage", "applications.manage", "authz.check"],
                "live": ["analytics"] } }),
        )
        .await;
    let key = key["token"].as_str().unwrap();

    // No MFA policy (Dana signs in with her password alone); a group granting Live
    // `analytics` only; Dana in it.
    call(
        &srv,
        Method::PATCH,
        "/api/v1/settings/security",
        key,
        json!({ "mfa_policy": "off" }),
    )
    .await;
    let group = call(
        &srv,
        Method::POST,
        "/api/v1/groups",
        key,
        json!({ "name": "Analysts", "type": "business", "permissions": { "live": ["analytics"] } }),
    )
    .await;
    call(
        &srv,
        Method::POST,
        "/api/v1/users",
        key,
        json!({ "email": "dana@example.com", "display_name": "Dana Scully",
                "group_ids": [group["id"]] }),
    )
    .await;
    srv.accept_invitation("dana@example.com", PW).await.unwrap();

    // The demo app: registered (sign-in and a service allowed to ask for decisions), then
    // started on its own port with what the registration answered.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let demo = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let app = call(
        &srv,
        Method::POST,
        "/api/v1/applications",
        key,
        json!({
            "name": "Demo app",
            "client_type": "confidential",
            "first_party": true,
            "redirect_uris": [format!("{demo}/callback")],
            "post_logout_redirect_uris": [format!("{demo}/")],
            "allowed_scopes": ["openid", "profile", "email", "gatehouse:access"],
            "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
            "service_permissions": { "business": ["authz.check"] },
        }),
    )
    .await;
    let client_id = app["application"]["client_id"]
        .as_str()
        .or_else(|| app["client_id"].as_str())
        .unwrap();
    let config = gatehouse_demo_app::Config {
        issuer: format!("{}/b/acme", srv.base),
        client_id: client_id.to_owned(),
        client_secret: app["client_secret"].as_str().unwrap().to_owned(),
        tenant_id: tenant["id"].as_str().unwrap().to_owned(),
        base_url: demo.clone(),
        listen: String::new(),
    };
    let router = gatehouse_demo_app::app(config).unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });

    // Dana signs in through the demo app, on Gatehouse's own sign-in page.
    let b = driver.browser(&demo).await;
    b.goto("/").await;
    b.go("Sign in with Gatehouse").await;
    assert_eq!(b.path().await, "/b/acme/sign-in");
    b.fill("#email", "dana@example.com").await;
    b.fill("#password", PW).await;
    b.submit("button[type=submit]").await;
    // The way back runs through the demo's callback (code exchange, then three API calls
    // for the page): more than the driver's usual wait on a loaded machine.
    for _ in 0..300 {
        if b.exists("#features").await || b.exists("#problem").await {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // Back in the demo app: who she is, her group, and the two decisions.
    assert_eq!(b.path().await, "/", "{}", b.main_text().await);
    assert_eq!(b.text("#email").await, "dana@example.com");
    assert_eq!(b.text("#name").await, "Dana Scully");
    assert_eq!(b.text("#groups").await, "Analysts");
    let live = b.text("#feature-0").await;
    assert!(
        live.starts_with("Live reports") && live.ends_with("Allowed"),
        "{live}"
    );
    let sandbox = b.text("#feature-1").await;
    assert!(
        sandbox.starts_with("Sandbox tools") && sandbox.contains("Denied"),
        "{sandbox}"
    );

    // Sign-out ends the Gatehouse session too: back at the demo's start, and signing in
    // again asks for the password.
    b.go("Sign out").await;
    assert_eq!(b.path().await, "/");
    assert!(b.main_text().await.contains("Sign in with Gatehouse"));
    b.go("Sign in with Gatehouse").await;
    assert_eq!(b.path().await, "/b/acme/sign-in");
    b.close().await;
}
