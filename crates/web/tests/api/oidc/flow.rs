//! The whole flow through the relying-party library, as the issue asks: discovery →
//! authorize (the real sign-in pages, TOTP included) → code → tokens → ID token validated
//! (JWKS signature, `iss`, `aud`, `nonce`, `exp`) → userinfo → refresh with rotation → a
//! reused refresh token revokes the family → RP-initiated logout → a back-channel logout
//! token received by a local listener.

use openidconnect::core::CoreUserInfoClaims;
use openidconnect::{OAuth2TokenResponse, TokenResponse};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;
use crate::browser::Browser;
use crate::helpers::App;

crate::backend_tests!(the_whole_flow_through_an_rp_library);

async fn the_whole_flow_through_an_rp_library(app: App) {
    let (f, secret) = dana(&app).await;
    let received = Received::default();
    let bc = backchannel_listener(received.clone()).await;
    let (client_id, client_secret) =
        register(&app, &f, json!({ "backchannel_logout_uri": bc })).await;
    let rp = relying_party(&app, &client_id, client_secret.as_deref()).await;

    // Authorize, driving the real pages: password, then the TOTP code.
    let started = start(
        &rp,
        &["email", "profile", "offline_access", "gatehouse:access"],
    );
    let mut b = Browser::new(&app);
    // The sign-in page's form leads, through redirects, to the application: its content
    // security policy must allow that origin, or browsers stop the form (`form-action`).
    let first = b.get(path_of(&app, &started.url)).await;
    let page = b.get(first.location()).await;
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("form-action 'self' http://127.0.0.1:9;"),
        "{csp}"
    );
    let back = sign_in_through(&app, &mut b, &started.url, &secret).await;
    let q = query(&back);
    assert_eq!(q["state"], *started.state.secret(), "state comes back");
    assert_eq!(q["iss"], issuer(&app), "RFC 9207 iss");

    // Code → tokens; the library checks the ID token's signature against the JWKS, its
    // issuer, audience, nonce and expiry.
    let tokens = exchange(&rp, &q["code"], started.verifier).await.unwrap();
    let id_token = tokens.id_token().expect("an ID token");
    let verifier = id_verifier(&app, &rp);
    let claims = id_token.claims(&verifier, &started.nonce).unwrap();
    assert_eq!(claims.email().map(|e| e.as_str()), Some("dana@example.com"));
    assert_eq!(claims.email_verified(), Some(true));
    let amr: Vec<String> = claims
        .auth_method_refs()
        .unwrap()
        .iter()
        .map(|a| a.as_str().to_owned())
        .collect();
    assert!(amr.contains(&"mfa".to_owned()), "{amr:?}");
    assert!(claims.auth_time().is_some());
    // The access claim: Dana's group and its Live right, in both tokens and userinfo.
    let payload = jwt_payload(&id_token.to_string());
    assert_eq!(payload["groups"], json!(["Analysts"]), "{payload}");
    assert_eq!(payload["business"], "acme");
    let live = payload["permissions"]["live"].as_array().unwrap();
    assert_eq!(live[0]["permissions"], json!(["analytics"]), "{payload}");
    assert_eq!(live[0]["tenants"].as_array().unwrap().len(), 2);
    let access = jwt_payload(tokens.access_token().secret());
    assert_eq!(access["client_id"], client_id.as_str());
    assert_eq!(access["iss"], issuer(&app));

    // Userinfo with the access token.
    let info: CoreUserInfoClaims = rp
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&http())
        .await
        .unwrap();
    assert_eq!(info.email().map(|e| e.as_str()), Some("dana@example.com"));

    // Refresh rotates the refresh token.
    let first = tokens.refresh_token().expect("a refresh token").clone();
    let refreshed = rp
        .exchange_refresh_token(&first)
        .unwrap()
        .request_async(&http())
        .await
        .unwrap();
    let second = refreshed
        .refresh_token()
        .expect("a new refresh token")
        .clone();
    assert_ne!(first.secret(), second.secret(), "rotated");
    // The first one again: reuse. The whole family is revoked, the newest token included.
    let reused = rp
        .exchange_refresh_token(&first)
        .unwrap()
        .request_async(&http())
        .await;
    assert!(is_invalid_grant(&reused), "{reused:?}");
    let family = rp
        .exchange_refresh_token(&second)
        .unwrap()
        .request_async(&http())
        .await;
    assert!(is_invalid_grant(&family), "{family:?}");
    let (status, _) = introspect(&app, &client_id, client_secret.as_deref(), second.secret()).await;
    assert_eq!(status, StatusCode::OK);

    // A second sign-in in the same browser session: no password asked, a new grant.
    let again = start(&rp, &["email", "offline_access"]);
    let back = sign_in_through(&app, &mut b, &again.url, &secret).await;
    let q = query(&back);
    let tokens = exchange(&rp, &q["code"], again.verifier).await.unwrap();
    let id_token = tokens.id_token().unwrap().to_string();
    let sid = jwt_payload(&id_token)["sid"].as_str().unwrap().to_owned();

    // RP-initiated logout with the ID token as hint: the session ends at once and the
    // browser goes back to the registered address, with the state.
    let logout = format!(
        "/b/acme/oauth2/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state=bye",
        crate::oidc::encode(AFTER_LOGOUT)
    );
    let res = b.get(&logout).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location(), format!("{AFTER_LOGOUT}?state=bye"));
    assert!(b.session().is_none(), "the session cookie is cleared");

    // The refresh token of that sign-in died with the session.
    let after = rp
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .unwrap()
        .request_async(&http())
        .await;
    assert!(is_invalid_grant(&after), "{after:?}");

    // The back-channel logout token reached the application's endpoint: signed by us,
    // for this client, naming the session.
    let token = wait_for_logout(&received).await;
    let logout_claims: Value = app.gh.verify_jwt(&token, &["logout+jwt"]).unwrap();
    assert_eq!(logout_claims["aud"], client_id.as_str());
    assert_eq!(logout_claims["iss"], issuer(&app));
    assert_eq!(logout_claims["sid"], sid.as_str());
    assert!(
        logout_claims["events"]
            .get("http://schemas.openid.net/event/backchannel-logout")
            .is_some()
    );
    // The delivery is recorded once the application has answered.
    let mut actions = app.audit_actions(&f.admin_key).await;
    for _ in 0..100 {
        if actions
            .iter()
            .any(|a| a == "oauth.backchannel_logout_delivered")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        actions = app.audit_actions(&f.admin_key).await;
    }
    for expected in [
        "oauth.code_issued",
        "oauth.tokens_issued",
        "oauth.tokens_refreshed",
        "oauth.refresh_token_reused",
        "auth.signed_out",
        "oauth.backchannel_logout_delivered",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} in {actions:?}"
        );
    }
}

/// The decoded (unverified) payload of a JWT, to read claims the library does not model.
pub fn jwt_payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    let bytes = data_encoding::BASE64URL_NOPAD
        .decode(part.as_bytes())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn is_invalid_grant<T: std::fmt::Debug, E: std::fmt::Debug>(r: &Result<T, E>) -> bool {
    matches!(r, Err(e) if format!("{e:?}").contains("invalid_grant"))
}

async fn introspect(app: &App, id: &str, secret: Option<&str>, token: &str) -> (StatusCode, Value) {
    let res = app
        .client
        .post(format!("{}/b/acme/oauth2/introspect", app.base))
        .basic_auth(id, secret)
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["active"], false,
        "a revoked family is inactive: {body}"
    );
    (status, body)
}

async fn wait_for_logout(received: &Received) -> String {
    for _ in 0..100 {
        if let Some(t) = received.0.lock().unwrap().first().cloned() {
            return t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no back-channel logout arrived");
}
