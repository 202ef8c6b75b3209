//! What the specifications say must be refused, answered as they say: an unknown or inexact
//! redirect URI (an error page, never a redirect), PKCE missing or `plain`, a wrong
//! verifier, a replayed code (which revokes what it issued), another client's code, an
//! expired code, a wrong client secret, unsigned or HMAC-signed tokens, refresh after
//! deactivation, a password-only session for an application that requires MFA, and
//! `prompt=none` without a session.

use openidconnect::OAuth2TokenResponse;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;
use crate::browser::Browser;
use crate::helpers::App;

crate::backend_tests!(
    redirect_uri_mistakes_are_shown_not_redirected,
    pkce_is_required_and_checked,
    codes_are_single_use_bound_and_short_lived,
    client_secrets_are_checked,
    forged_tokens_are_refused,
    deactivation_ends_refresh,
    an_mfa_application_asks_for_the_second_factor,
    prompt_none_without_a_session,
);

async fn redirect_uri_mistakes_are_shown_not_redirected(app: App) {
    let (f, _) = dana(&app).await;
    let (id, _) = register(&app, &f, json!({})).await;
    let mut b = Browser::new(&app);
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    for uri in [
        "http://127.0.0.1:9/callback/",
        "http://127.0.0.1:9/callback?x=1",
        "https://evil.example/callback",
        "HTTP://127.0.0.1:9/callback",
    ] {
        let url = authorize_url(
            &id,
            &[
                ("redirect_uri", uri),
                ("code_challenge", challenge),
                ("code_challenge_method", "S256"),
            ],
        );
        let res = b.get(&url).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(
            res.headers.get("location").is_none(),
            "{uri}: never redirected"
        );
    }
    let res = b
        .get(&authorize_url(
            "no-such-client",
            &[("redirect_uri", CB), ("code_challenge", challenge)],
        ))
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.headers.get("location").is_none());
}

async fn pkce_is_required_and_checked(app: App) {
    let (f, secret) = dana(&app).await;
    let (id, client_secret) = register(&app, &f, json!({})).await;
    let mut b = Browser::new(&app);
    // No challenge, or `plain`: an error back at the client.
    for extra in [
        vec![("redirect_uri", CB), ("state", "s1")],
        vec![
            ("redirect_uri", CB),
            ("state", "s1"),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "plain"),
        ],
    ] {
        let res = b.get(&authorize_url(&id, &extra)).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let q = query(res.location());
        assert_eq!(q["error"], "invalid_request", "{q:?}");
        assert_eq!(q["state"], "s1");
        assert_eq!(q["iss"], issuer(&app));
    }
    // A wrong verifier: invalid_grant.
    let rp = relying_party(&app, &id, client_secret.as_deref()).await;
    let started = start(&rp, &[]);
    let back = sign_in_through(&app, &mut b, &started.url, &secret).await;
    let wrong = openidconnect::PkceCodeVerifier::new("a".repeat(43));
    let res = exchange(&rp, &query(&back)["code"], wrong).await;
    assert!(format!("{res:?}").contains("invalid_grant"), "{res:?}");
}

async fn codes_are_single_use_bound_and_short_lived(app: App) {
    let (f, secret) = dana(&app).await;
    let (id, client_secret) = register(&app, &f, json!({})).await;
    let (other_id, other_secret) = register(&app, &f, json!({ "name": "Other" })).await;
    let rp = relying_party(&app, &id, client_secret.as_deref()).await;
    let other = relying_party(&app, &other_id, other_secret.as_deref()).await;
    let mut b = Browser::new(&app);

    // Replayed: the second exchange fails, and what the first one issued is revoked.
    let started = start(&rp, &["offline_access"]);
    let back = sign_in_through(&app, &mut b, &started.url, &secret).await;
    let code = query(&back)["code"].clone();
    let verifier = started.verifier.secret().clone();
    let tokens = exchange(&rp, &code, started.verifier).await.unwrap();
    let replay = exchange(&rp, &code, openidconnect::PkceCodeVerifier::new(verifier)).await;
    assert!(
        format!("{replay:?}").contains("invalid_grant"),
        "{replay:?}"
    );
    let refresh = rp
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .unwrap()
        .request_async(&http())
        .await;
    assert!(
        format!("{refresh:?}").contains("invalid_grant"),
        "revoked: {refresh:?}"
    );

    // Another client's code.
    let started = start(&rp, &[]);
    let back = sign_in_through(&app, &mut b, &started.url, &secret).await;
    let stolen = exchange(&other, &query(&back)["code"], started.verifier).await;
    assert!(
        format!("{stolen:?}").contains("invalid_grant"),
        "{stolen:?}"
    );

    // Expired: codes live 60 seconds.
    let started = start(&rp, &[]);
    let back = sign_in_through(&app, &mut b, &started.url, &secret).await;
    app.clock.advance(time::Duration::seconds(61));
    let late = exchange(&rp, &query(&back)["code"], started.verifier).await;
    assert!(format!("{late:?}").contains("invalid_grant"), "{late:?}");
}

async fn token_call(
    app: &App,
    auth: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let mut req = app
        .client
        .post(format!("{}/b/acme/oauth2/token", app.base))
        .form(form);
    if let Some((id, secret)) = auth {
        req = req.basic_auth(id, Some(secret));
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    (status, res.json().await.unwrap(), headers)
}

async fn client_secrets_are_checked(app: App) {
    let (f, _) = dana(&app).await;
    let (id, _) = register(&app, &f, json!({})).await;
    let (status, body, headers) = token_call(
        &app,
        Some((&id, "gcs_wrong")),
        &[("grant_type", "authorization_code"), ("code", "x")],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    assert!(headers.get("www-authenticate").is_some());
    assert_eq!(headers["cache-control"], "no-store");
    // Without any credentials, a confidential client is not authenticated either.
    let (status, body, _) = token_call(
        &app,
        None,
        &[("grant_type", "authorization_code"), ("client_id", &id)],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // The password grant does not exist here, even for an authenticated client.
    let (public_id, _) = register(
        &app,
        &f,
        json!({ "name": "Phone", "client_type": "public" }),
    )
    .await;
    let (status, body, _) = token_call(
        &app,
        None,
        &[
            ("grant_type", "password"),
            ("client_id", &public_id),
            ("username", "x"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "unsupported_grant_type");
}

async fn forged_tokens_are_refused(app: App) {
    dana(&app).await;
    let b64 = |v: &Value| data_encoding::BASE64URL_NOPAD.encode(v.to_string().as_bytes());
    let claims = json!({
        "iss": issuer(&app), "sub": "x", "client_id": "x", "aud": "x",
        "exp": 4_000_000_000u64, "iat": 1, "scope": "openid",
    });
    // alg none.
    let none = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "at+jwt" })),
        b64(&claims)
    );
    // HS256 keyed with the public JWKS text (the classic key confusion).
    let jwks = app
        .client
        .get(format!("{}/b/acme/oauth2/jwks", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let head = b64(&json!({ "alg": "HS256", "typ": "at+jwt" }));
    let body = b64(&claims);
    let mac = hmac_sha256(jwks.as_bytes(), format!("{head}.{body}").as_bytes());
    let hs = format!(
        "{head}.{body}.{}",
        data_encoding::BASE64URL_NOPAD.encode(&mac)
    );
    for token in [none, hs] {
        let res = app
            .client
            .get(format!("{}/b/acme/oauth2/userinfo", app.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(
            res.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .contains("invalid_token")
        );
        // Nor does Gatehouse's own API take it.
        let res = app
            .client
            .get(format!("{}/api/v1/users", app.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

async fn deactivation_ends_refresh(app: App) {
    let (f, secret) = dana(&app).await;
    let (id, client_secret) = register(&app, &f, json!({})).await;
    let rp = relying_party(&app, &id, client_secret.as_deref()).await;
    let mut b = Browser::new(&app);
    let started = start(&rp, &["offline_access"]);
    let back = sign_in_through(&app, &mut b, &started.url, &secret).await;
    let tokens = exchange(&rp, &query(&back)["code"], started.verifier)
        .await
        .unwrap();
    let (_, users) = app.get("/api/v1/users?q=dana", &f.admin_key).await;
    let dana_id = users["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = app
        .post(
            &format!("/api/v1/users/{dana_id}/deactivate"),
            &f.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let refresh = rp
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .unwrap()
        .request_async(&http())
        .await;
    assert!(
        format!("{refresh:?}").contains("invalid_grant"),
        "{refresh:?}"
    );
    let res = app
        .client
        .get(format!("{}/b/acme/oauth2/userinfo", app.base))
        .bearer_auth(tokens.access_token().secret())
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "access ends at once"
    );
}

async fn an_mfa_application_asks_for_the_second_factor(app: App) {
    // Lee has only a password; the application requires MFA.
    let f = app.fixture("acme").await;
    app.invite(&f.admin_key, "lee@example.com", &[]).await;
    let (mut b, res) = app.accept("lee@example.com", PW, 1).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let (id, client_secret) = register(&app, &f, json!({ "require_mfa": true })).await;
    let rp = relying_party(&app, &id, client_secret.as_deref()).await;
    let started = start(&rp, &[]);
    // Signed in with a password only: sent to sign in again, with the second factor asked.
    let res = b.get(path_of(&app, &started.url)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(
        res.location().contains("/b/acme/sign-in?"),
        "{}",
        res.location()
    );
    assert!(
        res.location().contains("mfa=required"),
        "{}",
        res.location()
    );
    let page = b.get(res.location()).await;
    let res = post_form(
        &mut b,
        &page,
        "/b/acme/sign-in",
        &[("email", "lee@example.com"), ("password", PW)],
    )
    .await;
    // No code is issued before the enrolment.
    assert!(
        res.location().starts_with("/b/acme/mfa/enrol"),
        "{}",
        res.location()
    );
    assert!(!res.location().starts_with(CB));
}

async fn prompt_none_without_a_session(app: App) {
    let (f, _) = dana(&app).await;
    let (id, client_secret) = register(&app, &f, json!({})).await;
    let rp = relying_party(&app, &id, client_secret.as_deref()).await;
    let started = start(&rp, &[]);
    let mut b = Browser::new(&app);
    let res = b
        .get(&format!("{}&prompt=none", path_of(&app, &started.url)))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let q = query(res.location());
    assert_eq!(q["error"], "login_required");
    assert_eq!(q["state"], *started.state.secret());
}
