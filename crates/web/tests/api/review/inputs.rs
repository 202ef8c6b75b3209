//! Issue 8, defects 6 to 8: the service's name is a guessable word; over-long passwords are
//! refused before argon2 runs; a link works only under its own business's address. (That
//! "forgot password" answers alike is in `account_admin`.)
use reqwest::StatusCode;

use crate::browser::Browser;
use crate::helpers::App;
use crate::invitations::PW;
use crate::sign_in::member;

crate::backend_tests!(
    the_service_name_is_refused_in_passwords,
    huge_passwords_are_refused_before_hashing,
    links_work_only_under_their_own_business,
);

async fn the_service_name_is_refused_in_passwords(app: App) {
    let f = app.fixture("acme").await;
    app.invite(&f.admin_key, "dana@example.com", &[]).await;
    let (_, res) = app.accept("dana@example.com", "Gatehouse2026!", 1).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("service"), "{}", res.body);
}

async fn huge_passwords_are_refused_before_hashing(app: App) {
    let f = app.fixture("acme").await;
    member(&app, &f, "dana@example.com", &[]).await;
    let huge = "a".repeat(1_000_000);
    let runs = app.gh.password_hasher().runs();
    let mut b = Browser::new(&app);
    for email in ["dana@example.com", "nobody@example.com"] {
        let res = b.sign_in("acme", email, &huge).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.body);
        assert!(
            res.body.contains("sign-in failed") || res.body.contains("Sign-in failed"),
            "{}",
            res.body
        );
    }
    assert_eq!(
        app.gh.password_hasher().runs(),
        runs,
        "argon2 never ran on the oversized input"
    );
    // A password of the longest allowed length is still looked at.
    let long = "b".repeat(1024);
    assert_eq!(
        b.sign_in("acme", "dana@example.com", &long).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(app.gh.password_hasher().runs() > runs);
}

async fn links_work_only_under_their_own_business(app: App) {
    let f = app.fixture("acme").await;
    app.fixture("beta").await;
    member(&app, &f, "dana@example.com", &[]).await;
    let mut b = Browser::new(&app);
    b.submit(
        "/b/acme/forgot-password",
        "/b/acme/forgot-password",
        &[("email", "dana@example.com")],
    )
    .await;
    let reset = app.mailed_link("dana@example.com", "Reset your", 1).await;
    let elsewhere = reset.replacen("/b/acme/", "/b/beta/", 1);
    assert_eq!(b.get(&elsewhere).await.status, StatusCode::GONE);
    let csrf = b
        .get("/b/beta/forgot-password")
        .await
        .input("csrf")
        .unwrap();
    let res = b
        .post(
            &elsewhere,
            &[("csrf", &csrf), ("password", "a brand new passphrase here")],
        )
        .await;
    assert_eq!(res.status, StatusCode::GONE, "{}", res.body);
    assert_eq!(
        b.get(&reset).await.status,
        StatusCode::OK,
        "still good at home"
    );

    app.invite(&f.admin_key, "erin@example.com", &[]).await;
    let invitation = app.mailed_link("erin@example.com", "invited", 1).await;
    let elsewhere = invitation.replacen("/b/acme/", "/b/beta/", 1);
    assert_eq!(b.get(&elsewhere).await.status, StatusCode::GONE);
    let res = b
        .post(&elsewhere, &[("csrf", &csrf), ("password", PW)])
        .await;
    assert_eq!(res.status, StatusCode::GONE, "{}", res.body);
    let mut erin = Browser::new(&app);
    let ok = erin
        .submit(&invitation, &invitation, &[("password", PW)])
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
}
