//! Passkeys through the real pages, with a software authenticator (a P-256 key signing
//! `authenticatorData ‖ SHA-256(clientDataJSON)`): registration, passwordless sign-in, the
//! second factor, and every refusal the relying party owes (`refusals.rs`); the passkey
//! policy, removal, an administrator's reset and deactivation (`policy.rs`).

mod policy;
mod refusals;

use gatehouse_domain::auth::webauthn::authenticator::SoftAuthenticator;
use reqwest::StatusCode;
use serde_json::Value;

use crate::browser::{Browser, Resp, html_unescape};
use crate::helpers::{App, Fixture};
use crate::invitations::PW;

crate::backend_tests!(
    register_then_sign_in_without_a_password,
    passkey_as_the_second_factor,
    step_up_with_a_passkey,
);

/// The `data-options` JSON of the form with `id` on the page.
pub fn options(page: &Resp, id: &str) -> Value {
    let at = page
        .body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no form #{id}: {}", page.body));
    let rest = &page.body[at..];
    let start = rest.find("data-options=\"").expect("the form has options") + 14;
    let end = rest[start..].find('"').unwrap() + start;
    serde_json::from_str(&html_unescape(&rest[start..end])).unwrap()
}

/// A software authenticator for this server's origin.
pub fn authenticator(app: &App, id: &[u8]) -> SoftAuthenticator {
    SoftAuthenticator::new(&app.base, id)
}

/// An active user of `f`'s business in `groups`, signed in with their password.
pub async fn member<'a>(app: &'a App, f: &Fixture, email: &str, groups: &[&str]) -> Browser<'a> {
    app.invite(&f.admin_key, email, groups).await;
    let n = 1;
    let (b, res) = app.accept(email, PW, n).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    b
}

/// Registers a passkey from the account page; returns the page's answer.
pub async fn register(b: &mut Browser<'_>, slug: &str, key: &mut SoftAuthenticator) -> Resp {
    let page = b.get(&format!("/b/{slug}/account")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let o = options(&page, "add-passkey");
    let created = key.register(o["challenge"].as_str().unwrap());
    let csrf = page.input("csrf").unwrap();
    b.post(
        &format!("/b/{slug}/account/passkeys"),
        &[
            ("csrf", &csrf),
            ("name", "Laptop"),
            ("response", &created.to_string()),
        ],
    )
    .await
}

/// Signs in on `slug`'s sign-in page with the passkey (returning `user_handle`).
pub async fn passkey_sign_in(
    b: &mut Browser<'_>,
    slug: &str,
    key: &mut SoftAuthenticator,
    user_handle: &[u8],
) -> Resp {
    let page = b.get(&format!("/b/{slug}/sign-in")).await;
    let o = options(&page, "passkey-sign-in");
    assert_eq!(o["userVerification"], "required", "{o}");
    let asserted = key.assert(o["challenge"].as_str().unwrap(), Some(user_handle));
    post_response(b, &page, &format!("/b/{slug}/sign-in/passkey"), &asserted).await
}

/// Posts a credential `response` with the page's CSRF token.
pub async fn post_response(
    b: &mut Browser<'_>,
    page: &Resp,
    action: &str,
    response: &Value,
) -> Resp {
    let csrf = page.input("csrf").unwrap();
    b.post(
        action,
        &[("csrf", &csrf), ("response", &response.to_string())],
    )
    .await
}

/// The id of the user with `email`, as the API shows it.
pub async fn user_id(app: &App, f: &Fixture, email: &str) -> String {
    let (status, page) = app.get("/api/v1/users?limit=100", &f.admin_key).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email)
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("no {email}"))
}

async fn register_then_sign_in_without_a_password(app: App) {
    let f = app.fixture("acme").await;
    let mut b = member(&app, &f, "erin@example.com", &[]).await;
    let mut key = authenticator(&app, b"erin-laptop");
    let done = register(&mut b, "acme", &mut key).await;
    // The first second factor: recovery codes, shown once.
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.body.matches("<li><code>").count(), 10);
    assert!(
        app.mail
            .wait_for("erin@example.com", "A passkey was added", 1)
            .await
            .is_some()
    );
    let account = b.get("/b/acme/account").await;
    assert!(account.body.contains("Laptop"), "listed by name");
    let actions = app.audit_actions(&f.admin_key).await;
    assert!(
        actions.contains(&"auth.passkey_registered".to_owned()),
        "{actions:?}"
    );

    let erin = user_id(&app, &f, "erin@example.com").await;
    let mut fresh = Browser::new(&app);
    let res = passkey_sign_in(&mut fresh, "acme", &mut key, erin.as_bytes()).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let account = fresh.get("/b/acme/account").await;
    assert_eq!(
        account.status,
        StatusCode::OK,
        "signed in: {}",
        account.body
    );
    assert!(!account.body.contains(">never<"), "its last use is shown");
    let (_, user) = app
        .get(&format!("/api/v1/users/{erin}"), &f.admin_key)
        .await;
    assert_eq!(user["mfa_enrolled"], true, "{user}");
}

async fn passkey_as_the_second_factor(app: App) {
    let (_, secret) = crate::oidc::dana(&app).await;
    // Dana has an authenticator app (she enrolled, which also just proved who she is).
    let mut b = Browser::new(&app);
    let res = b.sign_in("acme", "dana@example.com", PW).await;
    assert_eq!(res.location(), "/b/acme/mfa");
    let mfa = b.get("/b/acme/mfa").await;
    assert!(
        !mfa.body.contains("passkey-mfa"),
        "no passkey yet, no passkey form"
    );
    drop(b);
    let mut enrolled = Browser::new(&app);
    enrolled.sign_in("acme", "dana@example.com", PW).await;
    app.clock.advance(time::Duration::seconds(30));
    let code = app.totp(&secret, 0);
    let res = enrolled
        .submit("/b/acme/mfa", "/b/acme/mfa", &[("code", &code)])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let mut key = authenticator(&app, b"dana-key");
    let done = register(&mut enrolled, "acme", &mut key).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(done.location().contains("notice=passkey_added"));

    // Password, then the passkey instead of a code; user verification only preferred.
    let mut b = Browser::new(&app);
    b.sign_in("acme", "dana@example.com", PW).await;
    let mfa = b.get("/b/acme/mfa").await;
    let o = options(&mfa, "passkey-mfa");
    assert_eq!(o["userVerification"], "preferred");
    assert_eq!(o["allowCredentials"].as_array().unwrap().len(), 1);
    key.user_verified = false;
    let asserted = key.assert(o["challenge"].as_str().unwrap(), None);
    let res = post_response(&mut b, &mfa, "/b/acme/mfa/passkey", &asserted).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let account = b.get("/b/acme/account").await;
    assert_eq!(account.status, StatusCode::OK);
}

async fn step_up_with_a_passkey(app: App) {
    let f = app.fixture("acme").await;
    let mut b = member(&app, &f, "erin@example.com", &[]).await;
    let mut key = authenticator(&app, b"erin-laptop");
    register(&mut b, "acme", &mut key).await;
    // Later: adding another passkey needs a fresh proof first.
    app.clock.advance(time::Duration::minutes(10));
    let account = b.get("/b/acme/account").await;
    assert!(
        !account.body.contains("id=\"add-passkey\""),
        "step-up first"
    );
    let page = b.get("/b/acme/step-up?next=/b/acme/account").await;
    let o = options(&page, "passkey-step-up");
    assert_eq!(o["userVerification"], "required");

    // An unverified passkey proves too little.
    key.user_verified = false;
    let weak = key.assert(o["challenge"].as_str().unwrap(), None);
    let csrf = page.input("csrf").unwrap();
    let weak = weak.to_string();
    let fields = [
        ("csrf", csrf.as_str()),
        ("next", "/b/acme/account"),
        ("response", &weak),
    ];
    let res = b.post("/b/acme/step-up", &fields).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.body);
    assert!(res.body.contains("user verification is required"));

    key.user_verified = true;
    let page = b.get("/b/acme/step-up?next=/b/acme/account").await;
    let o = options(&page, "passkey-step-up");
    let proof = key
        .assert(o["challenge"].as_str().unwrap(), None)
        .to_string();
    let csrf = page.input("csrf").unwrap();
    let fields = [
        ("csrf", csrf.as_str()),
        ("next", "/b/acme/account"),
        ("response", &proof),
    ];
    let res = b.post("/b/acme/step-up", &fields).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location(), "/b/acme/account");
    let account = b.get("/b/acme/account").await;
    assert!(account.body.contains("id=\"add-passkey\""), "stepped up");
    let actions = app.audit_actions(&f.admin_key).await;
    assert!(
        actions.contains(&"auth.stepped_up".to_owned()),
        "{actions:?}"
    );
}
