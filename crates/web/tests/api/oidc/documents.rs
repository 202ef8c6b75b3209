//! Discovery and the JWKS: what they say, how they may be cached and fetched, that only
//! asymmetric keys are published, and that a general-purpose JWT library verifies our
//! tokens with the served keys.

use data_encoding::BASE64URL_NOPAD;
use gatehouse_domain::oidc::SigningAlg;
use gatehouse_domain::principal::Principal;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::App;

crate::backend_tests!(
    discovery_describes_the_issuer_of_each_business,
    the_jwks_verifies_our_tokens_in_a_standard_library,
    unknown_businesses_are_not_found,
    look_ups_of_unknown_businesses_are_bounded,
    a_rotation_is_published_at_once_on_the_node,
);

/// A GET with its status, headers and JSON body.
async fn fetch(app: &App, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let response = app
        .client
        .get(format!("{}{path}", app.base))
        .header("Origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.json().await.unwrap())
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers.get(name).map_or("", |v| v.to_str().unwrap())
}

async fn discovery_describes_the_issuer_of_each_business(app: App) {
    app.fixture("acme").await;
    app.fixture("globex").await;
    let (status, headers, doc) = fetch(&app, "/b/acme/.well-known/openid-configuration").await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert_eq!(header(&headers, "content-type"), "application/json");
    assert_eq!(header(&headers, "cache-control"), "public, max-age=300");
    assert_eq!(header(&headers, "access-control-allow-origin"), "*");
    let issuer = format!("{}/b/acme", app.base);
    assert_eq!(doc["issuer"], issuer);
    for (field, path) in [
        ("authorization_endpoint", "authorize"),
        ("token_endpoint", "token"),
        ("userinfo_endpoint", "userinfo"),
        ("jwks_uri", "jwks"),
        ("introspection_endpoint", "introspect"),
        ("revocation_endpoint", "revoke"),
        ("end_session_endpoint", "logout"),
    ] {
        assert_eq!(doc[field], format!("{issuer}/oauth2/{path}"), "{field}");
    }
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    assert_eq!(doc["response_modes_supported"], json!(["query"]));
    assert_eq!(
        doc["grant_types_supported"],
        json!(["authorization_code", "refresh_token", "client_credentials"])
    );
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "none"])
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["ES256", "RS256"])
    );
    assert_eq!(doc["subject_types_supported"], json!(["public"]));
    assert_eq!(
        doc["scopes_supported"],
        json!([
            "openid",
            "profile",
            "email",
            "offline_access",
            "gatehouse:access"
        ])
    );
    assert_eq!(
        doc["prompt_values_supported"],
        json!(["none", "login", "consent"])
    );
    for flag in [
        "authorization_response_iss_parameter_supported",
        "backchannel_logout_supported",
        "backchannel_logout_session_supported",
    ] {
        assert_eq!(doc[flag], true, "{flag}");
    }
    // The RFC 8414 address of an issuer with a path answers the same document.
    let (status, _, same) = fetch(&app, "/.well-known/oauth-authorization-server/b/acme").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(same, doc);
    // Each business is its own issuer.
    let (_, _, other) = fetch(&app, "/b/globex/.well-known/openid-configuration").await;
    assert_eq!(other["issuer"], format!("{}/b/globex", app.base));
    assert_eq!(
        other["jwks_uri"],
        format!("{}/b/globex/oauth2/jwks", app.base)
    );
}

async fn the_jwks_verifies_our_tokens_in_a_standard_library(app: App) {
    app.fixture("acme").await;
    let (status, headers, body) = fetch(&app, "/b/acme/oauth2/jwks").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(header(&headers, "access-control-allow-origin"), "*");
    assert_eq!(header(&headers, "cache-control"), "public, max-age=300");
    let keys = body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 4, "an active and a next key of each algorithm");
    for k in keys {
        assert!(
            k["kty"] == "EC" || k["kty"] == "RSA",
            "asymmetric only: {k}"
        );
        assert!(k["alg"] == "ES256" || k["alg"] == "RS256", "{k}");
        assert_eq!(k["use"], "sig");
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(k.get(private).is_none(), "{private} published: {k}");
        }
    }
    let set: JwkSet = serde_json::from_value(body.clone()).unwrap();
    let issuer = format!("{}/b/acme", app.base);
    for (alg, lib_alg) in [
        (SigningAlg::Es256, Algorithm::ES256),
        (SigningAlg::Rs256, Algorithm::RS256),
    ] {
        let claims =
            json!({"iss": issuer, "sub": "u-1", "aud": "client-1", "exp": 4_000_000_000_i64});
        let token = app.gh.sign_jwt(alg, "JWT", &claims).unwrap();
        let kid = jsonwebtoken::decode_header(&token).unwrap().kid.unwrap();
        let jwk = set.find(&kid).expect("the signing key is published");
        let mut validation = Validation::new(lib_alg);
        validation.set_audience(&["client-1"]);
        validation.set_issuer(&[issuer.as_str()]);
        let data =
            decode::<Value>(&token, &DecodingKey::from_jwk(jwk).unwrap(), &validation).unwrap();
        assert_eq!(data.claims["sub"], "u-1");
        // The classic forgery: HS256 keyed with the published key. Refused, as is `none`.
        let forged = jsonwebtoken::encode(
            &jsonwebtoken::Header {
                kid: Some(kid.clone()),
                ..jsonwebtoken::Header::new(Algorithm::HS256)
            },
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(serde_json::to_string(jwk).unwrap().as_bytes()),
        )
        .unwrap();
        assert!(app.gh.verify_jwt::<Value>(&forged, &["JWT"]).is_err());
        let payload = token.split('.').nth(1).unwrap();
        let none = format!(
            "{}.{payload}.",
            BASE64URL_NOPAD.encode(
                json!({"alg": "none", "kid": kid, "typ": "JWT"})
                    .to_string()
                    .as_bytes()
            )
        );
        assert!(app.gh.verify_jwt::<Value>(&none, &["JWT"]).is_err());
        assert!(app.gh.verify_jwt::<Value>(&token, &["JWT"]).is_ok());
    }
}

async fn unknown_businesses_are_not_found(app: App) {
    app.fixture("acme").await;
    for path in [
        "/b/nobody/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server/b/nobody",
        "/b/nobody/oauth2/jwks",
        "/b/NOT%20A%20SLUG/oauth2/jwks",
    ] {
        let (status, headers, body) = fetch(&app, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            body["error"]["code"], "business_not_found",
            "{path}: {body}"
        );
        assert_eq!(header(&headers, "cache-control"), "no-store", "{path}");
        assert_eq!(header(&headers, "access-control-allow-origin"), "*");
    }
    // A business made after a miss is found (misses are not remembered).
    let (status, _, _) = fetch(&app, "/b/later/oauth2/jwks").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.fixture("later").await;
    let (status, _, _) = fetch(&app, "/b/later/oauth2/jwks").await;
    assert_eq!(status, StatusCode::OK);
}

async fn look_ups_of_unknown_businesses_are_bounded(app: App) {
    app.fixture("acme").await;
    let (status, _, _) = fetch(&app, "/b/acme/oauth2/jwks").await;
    assert_eq!(status, StatusCode::OK, "known from now on");
    app.clock.advance(time::Duration::seconds(1));
    // Made-up slugs: each is a database look-up, at most 20 a second on a node; then 429.
    let mut statuses = Vec::new();
    for i in 0..25 {
        let (status, headers, body) = fetch(&app, &format!("/b/made-up-{i}/oauth2/jwks")).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(body["error"]["code"], "rate_limited");
            assert_eq!(header(&headers, "retry-after"), "1");
        }
        statuses.push(status);
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::NOT_FOUND)
            .count(),
        20
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        5
    );
    // A business already known is served from memory meanwhile; the next second has room.
    let (status, _, _) = fetch(&app, "/b/acme/.well-known/openid-configuration").await;
    assert_eq!(status, StatusCode::OK);
    app.clock.advance(time::Duration::seconds(1));
    let (status, _, _) = fetch(&app, "/b/made-up-x/oauth2/jwks").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn a_rotation_is_published_at_once_on_the_node(app: App) {
    app.fixture("acme").await;
    let (_, _, before) = fetch(&app, "/b/acme/oauth2/jwks").await;
    let op = Principal::Operator.operator().unwrap();
    let ctx = gatehouse_domain::audit::RequestContext::default();
    let keys = app.gh.rotate_signing_keys(&op, &ctx, true).await.unwrap();
    let (_, _, after) = fetch(&app, "/b/acme/oauth2/jwks").await;
    assert_eq!(after["keys"].as_array().unwrap().len(), 6);
    for k in &keys {
        assert!(after.to_string().contains(&k.kid), "{} published", k.kid);
    }
    for k in before["keys"].as_array().unwrap() {
        assert!(
            after["keys"].as_array().unwrap().contains(k),
            "retired keys stay: {k}"
        );
    }
}
