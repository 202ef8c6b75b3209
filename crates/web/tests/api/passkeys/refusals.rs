//! What the relying party refuses: another origin or relying-party id, a replayed assertion
//! (each challenge is accepted once), a cloned authenticator (its counter goes back), a
//! passkey of another user or business, and a missing user verification where it is required.
//! Each refusal is a 401 with a reason on the page, and no session.

use reqwest::StatusCode;

use super::*;

crate::backend_tests!(
    refuses_another_origin_or_relying_party,
    refuses_a_replayed_assertion,
    refuses_a_cloned_authenticator,
    refuses_a_passkey_of_another_user_or_business,
    refuses_a_passkey_without_user_verification,
);

/// Erin, signed in, with a registered passkey; her user id.
async fn erin(app: &App, f: &Fixture) -> (SoftAuthenticator, String) {
    let mut b = member(app, f, "erin@example.com", &[]).await;
    let mut key = authenticator(app, b"erin-laptop");
    let done = register(&mut b, "acme", &mut key).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    (key, user_id(app, f, "erin@example.com").await)
}

#[track_caller]
fn refused(res: &Resp, why: &str) {
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.body);
    assert!(res.body.contains(why), "`{why}` in {}", res.body);
}

async fn signed_in(b: &mut Browser<'_>) -> bool {
    b.get("/b/acme/account").await.status == StatusCode::OK
}

async fn refuses_another_origin_or_relying_party(app: App) {
    let f = app.fixture("acme").await;
    let (mut key, erin) = erin(&app, &f).await;
    let mut b = Browser::new(&app);
    key.origin = "http://gatehouse.example.evil".to_owned();
    let res = passkey_sign_in(&mut b, "acme", &mut key, erin.as_bytes()).await;
    refused(&res, "the origin is not this site");
    assert!(!signed_in(&mut b).await);

    key.origin = app.base.clone();
    key.rp_id = "evil.example".to_owned();
    let res = passkey_sign_in(&mut b, "acme", &mut key, erin.as_bytes()).await;
    refused(&res, "another relying party");
    assert!(!signed_in(&mut b).await);

    // Registering from another origin is refused as well, and stores nothing.
    let f2 = app.fixture("beta").await;
    let mut other = member(&app, &f2, "gus@example.com", &[]).await;
    let mut phished = authenticator(&app, b"gus-key");
    phished.origin = "http://gatehouse.example.evil".to_owned();
    let res = register(&mut other, "beta", &mut phished).await;
    refused(&res, "the origin is not this site");
    let account = other.get("/b/beta/account").await;
    assert!(account.body.contains("You have no passkeys"));
}

async fn refuses_a_replayed_assertion(app: App) {
    let f = app.fixture("acme").await;
    let mut b = member(&app, &f, "erin@example.com", &[]).await;
    // A synced passkey: its counter stays at 0, so only the challenge stops a replay.
    let mut key = authenticator(&app, b"erin-synced");
    key.counting = false;
    key.backup_eligible = true;
    register(&mut b, "acme", &mut key).await;
    let erin = user_id(&app, &f, "erin@example.com").await;

    let mut first = Browser::new(&app);
    let page = first.get("/b/acme/sign-in").await;
    let o = options(&page, "passkey-sign-in");
    let asserted = key.assert(o["challenge"].as_str().unwrap(), Some(erin.as_bytes()));
    let res = post_response(&mut first, &page, "/b/acme/sign-in/passkey", &asserted).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);

    let mut thief = Browser::new(&app);
    let page = thief.get("/b/acme/sign-in").await;
    let res = post_response(&mut thief, &page, "/b/acme/sign-in/passkey", &asserted).await;
    refused(&res, "the challenge was already used");
    assert!(!signed_in(&mut thief).await);
    // Nor does a challenge outlive its ceremony.
    let page = thief.get("/b/acme/sign-in").await;
    let o = options(&page, "passkey-sign-in");
    let late = key.assert(o["challenge"].as_str().unwrap(), Some(erin.as_bytes()));
    app.clock.advance(time::Duration::minutes(6));
    let res = post_response(&mut thief, &page, "/b/acme/sign-in/passkey", &late).await;
    refused(&res, "the challenge has expired");
}

async fn refuses_a_cloned_authenticator(app: App) {
    let f = app.fixture("acme").await;
    let (mut key, erin) = erin(&app, &f).await;
    key.counter = 7;
    let mut b = Browser::new(&app);
    let res = passkey_sign_in(&mut b, "acme", &mut key, erin.as_bytes()).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    // A copy of the key, behind the original.
    key.counter = 5;
    let mut clone = Browser::new(&app);
    let res = passkey_sign_in(&mut clone, "acme", &mut key, erin.as_bytes()).await;
    refused(&res, "counter went back");
    assert!(!signed_in(&mut clone).await);
    // A change of backup eligibility is no less suspicious.
    key.counter = 20;
    key.backup_eligible = true;
    let res = passkey_sign_in(&mut clone, "acme", &mut key, erin.as_bytes()).await;
    refused(&res, "backup eligibility");
}

async fn refuses_a_passkey_of_another_user_or_business(app: App) {
    let f = app.fixture("acme").await;
    let (mut erins, erin) = erin(&app, &f).await;
    let mut frank_b = member(&app, &f, "frank@example.com", &[]).await;
    let mut franks = authenticator(&app, b"frank-key");
    register(&mut frank_b, "acme", &mut franks).await;
    let frank = user_id(&app, &f, "frank@example.com").await;

    // Frank's password, then Erin's passkey at his second step.
    let mut b = Browser::new(&app);
    let res = b
        .sign_in("acme", "frank@example.com", crate::invitations::PW)
        .await;
    assert_eq!(res.location(), "/b/acme/mfa");
    let mfa = b.get("/b/acme/mfa").await;
    let o = options(&mfa, "passkey-mfa");
    let asserted = erins.assert(o["challenge"].as_str().unwrap(), None);
    let res = post_response(&mut b, &mfa, "/b/acme/mfa/passkey", &asserted).await;
    refused(&res, "this passkey is not yours");
    assert!(!signed_in(&mut b).await);

    // Erin's passkey claiming to be Frank's account.
    let mut b = Browser::new(&app);
    let res = passkey_sign_in(&mut b, "acme", &mut erins, frank.as_bytes()).await;
    refused(&res, "names another user");

    // Erin's passkey on another business's sign-in page.
    app.fixture("beta").await;
    let mut b = Browser::new(&app);
    let res = passkey_sign_in(&mut b, "beta", &mut erins, erin.as_bytes()).await;
    refused(&res, "not registered here");
    assert_eq!(b.get("/b/beta/account").await.status, StatusCode::SEE_OTHER);
}

async fn refuses_a_passkey_without_user_verification(app: App) {
    let f = app.fixture("acme").await;
    let (mut key, erin) = erin(&app, &f).await;
    key.user_verified = false;
    let mut b = Browser::new(&app);
    let res = passkey_sign_in(&mut b, "acme", &mut key, erin.as_bytes()).await;
    refused(&res, "user verification is required");
    assert!(!signed_in(&mut b).await);

    // Registration requires it too.
    let mut frank = member(&app, &f, "frank@example.com", &[]).await;
    let mut unverified = authenticator(&app, b"frank-key");
    unverified.user_verified = false;
    let res = register(&mut frank, "acme", &mut unverified).await;
    refused(&res, "user verification is required");
}
