//! What the person is asked, and when: the consent page of a third-party application
//! (deny, allow, remembered, `prompt=consent`, `prompt=none` before any consent), and
//! `max_age=0` / `prompt=login` with a live session (signed in again, a fresh `auth_time`).

use openidconnect::TokenResponse;
use reqwest::StatusCode;
use serde_json::json;

use super::flow::jwt_payload;
use super::*;
use crate::browser::Browser;
use crate::helpers::App;

crate::backend_tests!(third_party_consent, max_age_and_prompt_login_ask_again);

async fn third_party_consent(app: App) {
    let (f, secret) = dana(&app).await;
    // Dana signs in through a first-party application first: a live session, no consent.
    let (own, own_secret) = register(&app, &f, json!({})).await;
    let own_rp = relying_party(&app, &own, own_secret.as_deref()).await;
    let mut b = Browser::new(&app);
    let first = start(&own_rp, &["email"]);
    sign_in_through(&app, &mut b, &first.url, &secret).await;

    let (id, client_secret) = register(
        &app,
        &f,
        json!({ "name": "Elsewhere", "first_party": false }),
    )
    .await;
    let rp = relying_party(&app, &id, client_secret.as_deref()).await;

    // Never consented: prompt=none cannot ask, so consent_required.
    let none = start(&rp, &["email"]);
    let res = b
        .get(path_of(&app, &format!("{}&prompt=none", none.url)))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let q = query(res.location());
    assert_eq!(q["error"], "consent_required", "{q:?}");
    assert_eq!(q["state"], *none.state.secret());

    // The consent page, before any code: HTML listing what is asked.
    let asked = start(&rp, &["email", "profile"]);
    let page = b.get(path_of(&app, &asked.url)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let content_type = page.headers["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    for shown in ["Elsewhere", "See your email address", "See your name"] {
        assert!(page.body.contains(shown), "{shown}: {}", page.body);
    }
    // Deny: access_denied back at the client, with the state and the issuer.
    let res = post_form(
        &mut b,
        &page,
        "/b/acme/oauth2/authorize",
        &[("decision", "deny")],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(res.location().starts_with(CB));
    let q = query(res.location());
    assert_eq!(q["error"], "access_denied", "{q:?}");
    assert_eq!(q["state"], *asked.state.secret());
    assert_eq!(q["iss"], issuer(&app));
    assert!(!q.contains_key("code"));

    // Asked again (a refusal is not remembered); allow: a code that exchanges.
    let asked = start(&rp, &["email", "profile"]);
    let page = b.get(path_of(&app, &asked.url)).await;
    assert_eq!(page.status, StatusCode::OK, "asked again after a refusal");
    let res = post_form(
        &mut b,
        &page,
        "/b/acme/oauth2/authorize",
        &[("decision", "allow")],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let q = query(res.location());
    assert_eq!(q["state"], *asked.state.secret());
    exchange(&rp, &q["code"], asked.verifier).await.unwrap();

    // The same scopes again: remembered, straight through.
    let again = start(&rp, &["email", "profile"]);
    let res = b.get(path_of(&app, &again.url)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(
        query(res.location()).contains_key("code"),
        "{}",
        res.location()
    );
    // …and prompt=none now goes through too.
    let quiet = start(&rp, &["email", "profile"]);
    let res = b
        .get(path_of(&app, &format!("{}&prompt=none", quiet.url)))
        .await;
    assert!(
        query(res.location()).contains_key("code"),
        "{}",
        res.location()
    );

    // prompt=consent asks again.
    let forced = start(&rp, &["email", "profile"]);
    let res = b
        .get(path_of(&app, &format!("{}&prompt=consent", forced.url)))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("See your email address"));
    // A scope not consented yet asks again as well.
    let more = start(&rp, &["email", "profile", "gatehouse:access"]);
    let res = b.get(path_of(&app, &more.url)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

async fn max_age_and_prompt_login_ask_again(app: App) {
    let (f, secret) = dana(&app).await;
    let (id, client_secret) = register(&app, &f, json!({})).await;
    let rp = relying_party(&app, &id, client_secret.as_deref()).await;
    let mut b = Browser::new(&app);
    let first = start(&rp, &["email"]);
    let back = sign_in_through(&app, &mut b, &first.url, &secret).await;
    let tokens = exchange(&rp, &query(&back)["code"], first.verifier)
        .await
        .unwrap();
    let before = jwt_payload(&tokens.id_token().unwrap().to_string())["auth_time"]
        .as_i64()
        .unwrap();

    // Without a reason to ask, the live session goes straight through.
    let plain = start(&rp, &["email"]);
    let res = b.get(path_of(&app, &plain.url)).await;
    assert!(res.location().starts_with(CB), "{}", res.location());

    for extra in ["&max_age=0", "&prompt=login"] {
        app.clock.advance(time::Duration::minutes(5));
        let started = start(&rp, &["email"]);
        let url = format!("{}{extra}", started.url);
        let res = b.get(path_of(&app, &url)).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{extra}: {}", res.body);
        assert!(
            res.location().starts_with("/b/acme/sign-in"),
            "{extra}: sent to sign in again, not {}",
            res.location()
        );
        let back = sign_in_through(&app, &mut b, &url, &secret).await;
        let q = query(&back);
        assert_eq!(q["state"], *started.state.secret());
        let tokens = exchange(&rp, &q["code"], started.verifier).await.unwrap();
        let id_token = tokens.id_token().unwrap();
        id_token
            .claims(&id_verifier(&app, &rp), &started.nonce)
            .unwrap();
        let auth_time = jwt_payload(&id_token.to_string())["auth_time"]
            .as_i64()
            .unwrap();
        assert!(
            auth_time >= before + 300,
            "{extra}: a fresh auth_time ({auth_time} after {before})"
        );
    }
}
