//! The passkey policy in the engine ("passkey for Live": a TOTP-only user's Live checks are
//! denied until they add a passkey), removing passkeys (never the last factor a policy
//! requires), an administrator's MFA reset (passkeys go too), deactivation (passkey sessions
//! end like any other), and the OpenID Connect `amr`/`acr` of a passkey sign-in.

use reqwest::StatusCode;
use serde_json::json;

use super::*;
use crate::oidc::flow::jwt_payload;
use crate::oidc::{CB, exchange, path_of, register as register_app, relying_party, start};
use crate::sessions::live_group;

crate::backend_tests!(
    passkey_for_live_denies_until_one_is_added,
    removal_keeps_the_factor_a_policy_requires,
    admin_reset_and_deactivation_end_passkeys,
    amr_and_acr_name_a_passkey_sign_in,
);

async fn check_live(app: &App, f: &Fixture, user: &str) -> serde_json::Value {
    let body = json!({
        "user_id": user, "permission": "analytics",
        "tenant_id": f.tenants[0]["id"], "environment": "live",
    });
    let (status, d) = app.post("/api/v1/authz/check", &f.admin_key, body).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    d
}

/// Dana (Live access, an authenticator app), signed in with her password and a code.
async fn dana_signed_in(app: &App) -> (Fixture, Browser<'_>) {
    let (f, secret) = crate::oidc::dana(app).await;
    let mut b = Browser::new(app);
    b.sign_in("acme", "dana@example.com", PW).await;
    app.clock.advance(time::Duration::seconds(30));
    let code = app.totp(&secret, 0);
    let res = b
        .submit("/b/acme/mfa", "/b/acme/mfa", &[("code", &code)])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    (f, b)
}

async fn passkey_for_live_denies_until_one_is_added(app: App) {
    let (f, mut b) = dana_signed_in(&app).await;
    let dana = user_id(&app, &f, "dana@example.com").await;
    assert_eq!(check_live(&app, &f, &dana).await["allowed"], true);
    let (status, s) = app
        .patch(
            "/api/v1/settings/security",
            &f.admin_key,
            json!({ "passkey_policy": "live_access" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["passkey_policy"], "live_access");
    let d = check_live(&app, &f, &dana).await;
    assert_eq!(
        (d["allowed"].clone(), d["reason"].clone()),
        (json!(false), json!("mfa_required")),
        "{d}"
    );
    let account = b.get("/b/acme/account").await;
    assert!(
        account.body.contains("requires a passkey"),
        "the page says why"
    );

    let mut key = authenticator(&app, b"dana-key");
    let done = register(&mut b, "acme", &mut key).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        check_live(&app, &f, &dana).await["allowed"],
        true,
        "allowed at once"
    );
    let account = b.get("/b/acme/account").await;
    assert!(!account.body.contains("requires a passkey"));
}

async fn removal_keeps_the_factor_a_policy_requires(app: App) {
    let f = app.fixture("acme").await;
    let mut b = member(&app, &f, "erin@example.com", &[]).await;
    let mut key = authenticator(&app, b"erin-laptop");
    register(&mut b, "acme", &mut key).await;
    // Erin now holds Live rights: the policy (MFA for Live access) needs her passkey.
    let live = live_group(&app, &f).await;
    let erin = user_id(&app, &f, "erin@example.com").await;
    let (status, g) = app
        .post(
            &format!("/api/v1/groups/{live}/members"),
            &f.admin_key,
            json!({ "user_ids": [erin] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    let account = b.get("/b/acme/account").await;
    let at = account.body.find("/passkeys/").unwrap() + 10;
    let id = &account.body[at..at + 36];
    let remove = format!("/b/acme/account/passkeys/{id}/remove");
    let res = b.submit("/b/acme/account", &remove, &[]).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert!(res.body.contains("last second factor"), "{}", res.body);

    // Without Live rights nothing requires it: removed, mailed, MFA off.
    let (status, _) = app
        .delete(
            &format!("/api/v1/groups/{live}/members/{erin}"),
            &f.admin_key,
        )
        .await;
    assert!(status.is_success(), "{status}");
    let res = b.submit("/b/acme/account", &remove, &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(res.location().contains("notice=passkey_removed"));
    assert!(
        app.mail
            .wait_for("erin@example.com", "A passkey was removed", 1)
            .await
            .is_some()
    );
    let (_, user) = app
        .get(&format!("/api/v1/users/{erin}"), &f.admin_key)
        .await;
    assert_eq!(user["mfa_enrolled"], false, "{user}");
    let actions = app.audit_actions(&f.admin_key).await;
    assert!(actions.contains(&"auth.passkey_removed".to_owned()));
}

async fn admin_reset_and_deactivation_end_passkeys(app: App) {
    let f = app.fixture("acme").await;
    let mut b = member(&app, &f, "erin@example.com", &[]).await;
    let mut key = authenticator(&app, b"erin-laptop");
    register(&mut b, "acme", &mut key).await;
    let erin = user_id(&app, &f, "erin@example.com").await;
    let mut pk = Browser::new(&app);
    let res = passkey_sign_in(&mut pk, "acme", &mut key, erin.as_bytes()).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);

    let (status, after) = app
        .post(
            &format!("/api/v1/users/{erin}/reset-mfa"),
            &f.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(
        pk.get("/b/acme/account").await.status,
        StatusCode::SEE_OTHER,
        "session ended"
    );
    let mut again = Browser::new(&app);
    let res = passkey_sign_in(&mut again, "acme", &mut key, erin.as_bytes()).await;
    assert_eq!(
        res.status,
        StatusCode::UNAUTHORIZED,
        "the passkey is gone: {}",
        res.body
    );

    // A new passkey, a passkey session, then deactivation ends it.
    let mut b = Browser::new(&app);
    b.sign_in("acme", "erin@example.com", PW).await;
    let mut second = authenticator(&app, b"erin-second");
    register(&mut b, "acme", &mut second).await;
    let mut pk = Browser::new(&app);
    let res = passkey_sign_in(&mut pk, "acme", &mut second, erin.as_bytes()).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let (status, _) = app
        .post(
            &format!("/api/v1/users/{erin}/deactivate"),
            &f.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        pk.get("/b/acme/account").await.status,
        StatusCode::SEE_OTHER,
        "session ended"
    );
    let mut later = Browser::new(&app);
    let res = passkey_sign_in(&mut later, "acme", &mut second, erin.as_bytes()).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.body);
}

async fn amr_and_acr_name_a_passkey_sign_in(app: App) {
    let f = app.fixture("acme").await;
    let mut b = member(&app, &f, "erin@example.com", &[]).await;
    let mut key = authenticator(&app, b"erin-laptop");
    register(&mut b, "acme", &mut key).await;
    let erin = user_id(&app, &f, "erin@example.com").await;
    let (client_id, secret) = register_app(&app, &f, json!({})).await;
    let rp = relying_party(&app, &client_id, secret.as_deref()).await;
    let started = start(&rp, &["email"]);

    let mut b = Browser::new(&app);
    let mut res = b.get(path_of(&app, &started.url)).await;
    let mut back = None;
    for _ in 0..6 {
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let to = res.location().to_owned();
        if to.starts_with(CB) {
            back = Some(to);
            break;
        }
        let path = path_of(&app, &to).to_owned();
        let page = b.get(&path).await;
        res = if path.contains("/sign-in") {
            let o = options(&page, "passkey-sign-in");
            let asserted = key.assert(o["challenge"].as_str().unwrap(), Some(erin.as_bytes()));
            let csrf = page.input("csrf").unwrap();
            let next = page.input("next").unwrap();
            let response = asserted.to_string();
            let fields = [
                ("csrf", csrf.as_str()),
                ("next", &next),
                ("response", &response),
            ];
            b.post("/b/acme/sign-in/passkey", &fields).await
        } else {
            page
        };
    }
    let back = back.expect("back at the application");
    let code = crate::oidc::query(&back)["code"].clone();
    let tokens = exchange(&rp, &code, started.verifier).await.unwrap();
    use openidconnect::TokenResponse;
    let id_token = tokens.id_token().unwrap().to_string();
    let claims = jwt_payload(&id_token);
    assert_eq!(claims["amr"], json!(["hwk", "user", "mfa"]), "{claims}");
    assert_eq!(claims["acr"], "urn:gatehouse:acr:phishing_resistant");
}
