//! Sign-in: one answer for every kind of failure, password rules, the session cookie,
//! sign-out, idle and absolute timeouts.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::browser::{Browser, SESSION};
use crate::helpers::{App, Fixture};
use crate::invitations::PW;

crate::backend_tests!(
    one_answer_for_unknown_wrong_pending_and_deactivated,
    password_rules_when_choosing_one,
    session_cookie_attributes_and_a_new_token_each_sign_in,
    sign_out_kills_the_session_server_side,
    idle_and_absolute_timeouts,
    sign_in_returns_only_to_pages_of_the_business,
);

/// `next` leads back to the page asked for only when it is a page of the same business;
/// anything else (another site, another business, a climb out) lands on the start page.
async fn sign_in_returns_only_to_pages_of_the_business(app: App) {
    let f = app.fixture("acme").await;
    member(&app, &f, "dana@example.com", &[]).await;
    for (next, want) in [
        ("/b/acme/admin/profile", "/b/acme/admin/profile"),
        ("//evil.example/", "/b/acme/account"),
        ("https://evil.example/b/acme/admin", "/b/acme/account"),
        ("/b/acme/%2e%2e/%2e%2e/evil", "/b/acme/account"),
        ("/b/other/admin", "/b/acme/account"),
        ("/b/acme/admin\\@evil.example", "/b/acme/account"),
    ] {
        let mut b = Browser::new(&app);
        let page = "/b/acme/sign-in";
        let fields = [
            ("email", "dana@example.com"),
            ("password", PW),
            ("next", next),
        ];
        let res = b.submit(page, page, &fields).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert_eq!(res.location(), want, "{next}");
    }
    let mut b = Browser::new(&app);
    let res = b.get("/b/acme/admin/users?status=pending").await;
    assert_eq!(
        res.location(),
        "/b/acme/sign-in?next=%2Fb%2Facme%2Fadmin%2Fusers%3Fstatus%3Dpending"
    );
}

/// Invites and accepts `email` (no groups: no MFA needed); returns the signed-in browser.
pub async fn member<'a>(
    app: &'a App,
    f: &Fixture,
    email: &str,
    groups: &[&str],
) -> (Browser<'a>, String) {
    let user = app.invite(&f.admin_key, email, groups).await;
    let n = app
        .mail
        .mails()
        .iter()
        .filter(|m| m.to.iter().any(|t| t == email))
        .count()
        .max(1);
    let (b, res) = app.accept(email, PW, n).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    (b, user["id"].as_str().unwrap().to_owned())
}

async fn one_answer_for_unknown_wrong_pending_and_deactivated(app: App) {
    let f = app.fixture("acme").await;
    member(&app, &f, "dana@example.com", &[]).await;
    let (_, eve) = member(&app, &f, "eve@example.com", &[]).await;
    app.invite(&f.admin_key, "paul@example.com", &[]).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/users/{eve}/deactivate"),
            &f.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let mut answers = Vec::new();
    for (email, password) in [
        ("nobody@example.com", PW),
        ("dana@example.com", "violet kettle marches south"),
        ("eve@example.com", PW),
        ("paul@example.com", PW),
    ] {
        let mut b = Browser::new(&app);
        let res = b.sign_in("acme", email, password).await;
        assert!(b.session().is_none(), "{email}");
        let body = res.body.replace(email, "EMAIL");
        let body = body.replace(&res.input("csrf").unwrap(), "CSRF");
        // The passkey form's challenge is fresh on every page.
        let challenge = crate::passkeys::options(&res, "passkey-sign-in")["challenge"]
            .as_str()
            .unwrap()
            .to_owned();
        let body = body.replace(&challenge, "CHALLENGE");
        answers.push((res.status, body));
    }
    assert_eq!(answers[0].0, StatusCode::UNAUTHORIZED);
    for a in &answers[1..] {
        assert_eq!(a, &answers[0], "every failure answers the same");
    }
    let mut b = Browser::new(&app);
    assert_eq!(
        b.sign_in("acme", "dana@example.com", PW).await.status,
        StatusCode::SEE_OTHER
    );

    let (_, page) = app
        .get(
            "/api/v1/audit-events?action=auth.sign_in_failed&limit=50",
            &f.admin_key,
        )
        .await;
    let reasons: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["after"]["reason"].as_str().unwrap())
        .collect();
    for r in ["unknown_user", "wrong_password", "deactivated", "pending"] {
        assert!(reasons.contains(&r), "{r} not audited: {reasons:?}");
    }
}

async fn password_rules_when_choosing_one(app: App) {
    let f = app.fixture("acme").await;
    app.invite(&f.admin_key, "dana@example.com", &[]).await;
    let link = app.mailed_link("dana@example.com", "invited", 1).await;
    let mut b = Browser::new(&app);
    for (password, says) in [
        ("Tr0ub4d", "at least 12 characters"),
        ("password1234", "too common"),
        ("dana-and-her-long-password", "email name"),
        ("acme acme acme acme", "business name"),
    ] {
        let res = b.submit(&link, &link, &[("password", password)]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{password}");
        assert!(res.body.contains(says), "{password}: {}", res.body);
        assert!(b.session().is_none());
    }
    // 200 characters of Unicode, kept whole.
    let long: String = "Ünïcödé pässphräse wïth émojï 🦀 "
        .chars()
        .cycle()
        .take(200)
        .collect();
    let res = b.submit(&link, &link, &[("password", &long)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let mut again = Browser::new(&app);
    assert_eq!(
        again
            .sign_in("acme", "dana@example.com", &long)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let shorter: String = long.chars().take(199).collect();
    let mut wrong = Browser::new(&app);
    assert_eq!(
        wrong
            .sign_in("acme", "dana@example.com", &shorter)
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "never truncated"
    );
}

async fn session_cookie_attributes_and_a_new_token_each_sign_in(app: App) {
    let f = app.fixture("acme").await;
    member(&app, &f, "dana@example.com", &[]).await;
    let mut b = Browser::new(&app);
    // A token planted before sign-in is never adopted.
    b.cookies.insert(SESSION.to_owned(), "planted".to_owned());
    let res = b.sign_in("acme", "dana@example.com", PW).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let set: Vec<&str> = res
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .filter(|c| c.starts_with(SESSION))
        .collect();
    assert_eq!(set.len(), 1);
    let cookie = set[0];
    for attr in ["; Path=/", "; HttpOnly", "; SameSite=Lax", "; Secure"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    assert!(
        !cookie.to_ascii_lowercase().contains("domain="),
        "__Host- cookies have no Domain"
    );
    let first = b.session().unwrap();
    assert_ne!(first, "planted");
    assert_eq!(first.len(), 43, "256 bits, base64url");

    b.sign_in("acme", "dana@example.com", PW).await;
    let second = b.session().unwrap();
    assert_ne!(first, second, "a new session at every sign-in");
}

async fn sign_out_kills_the_session_server_side(app: App) {
    let f = app.fixture("acme").await;
    let (mut b, _) = member(&app, &f, "dana@example.com", &[]).await;
    let token = b.session().unwrap();
    let csrf = b.csrf("acme").await;
    let out = b.post("/b/acme/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(b.session().is_none(), "cookie cleared");
    // The old token, replayed, is dead.
    let mut thief = Browser::new(&app);
    thief.cookies.insert(SESSION.to_owned(), token);
    let page = thief.get("/b/acme/account").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location(),
        "/b/acme/sign-in?next=%2Fb%2Facme%2Faccount"
    );
    assert_eq!(
        thief
            .api(Method::GET, "/api/v1/tenants", None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert!(
        app.audit_actions(&f.admin_key)
            .await
            .iter()
            .any(|a| a == "auth.signed_out")
    );
}

async fn idle_and_absolute_timeouts(app: App) {
    let f = app.fixture("acme").await;
    let (mut b, _) = member(&app, &f, "dana@example.com", &[]).await;
    let minutes = time::Duration::minutes;
    // Activity keeps it alive...
    for _ in 0..3 {
        app.clock.advance(minutes(29));
        assert_eq!(b.get("/b/acme/account").await.status, StatusCode::OK);
    }
    // ...30 minutes without ends it.
    app.clock.advance(minutes(30));
    assert_eq!(b.get("/b/acme/account").await.status, StatusCode::SEE_OTHER);

    // However active, 12 hours is the end.
    let mut b = Browser::new(&app);
    b.sign_in("acme", "dana@example.com", PW).await;
    for _ in 0..24 {
        app.clock.advance(minutes(29));
        assert_eq!(b.get("/b/acme/account").await.status, StatusCode::OK);
    }
    app.clock.advance(minutes(29)); // 12 h 05 min after sign-in
    assert_eq!(b.get("/b/acme/account").await.status, StatusCode::SEE_OTHER);
}
