//! The second factor: TOTP acceptance window and replay rules, recovery codes, enrolment
//! forced by the MFA policy (with its grace period).

use reqwest::StatusCode;
use serde_json::json;

use crate::browser::Browser;
use crate::helpers::App;
use crate::invitations::PW;
use crate::sessions::live_group;

crate::backend_tests!(
    totp_window_and_replay,
    recovery_codes_work_once,
    enrolment_forced_by_policy_after_grace,
);

/// Signs in with the password, then posts `code` at the MFA step; returns the answer.
async fn sign_in_with_code<'a>(app: &'a App, code: &str) -> (StatusCode, Browser<'a>) {
    let mut b = Browser::new(app);
    let res = b.sign_in("acme", "dana@example.com", PW).await;
    assert_eq!(res.location(), "/b/acme/mfa");
    let res = b
        .submit("/b/acme/mfa", "/b/acme/mfa", &[("code", code)])
        .await;
    (res.status, b)
}

async fn enrolled(app: &App) -> (crate::helpers::Fixture, Vec<u8>, Vec<String>) {
    let f = app.fixture("acme").await;
    let live = live_group(app, &f).await;
    app.invite(&f.admin_key, "dana@example.com", &[&live]).await;
    let (mut b, res) = app.accept("dana@example.com", PW, 1).await;
    assert_eq!(res.location(), "/b/acme/mfa/enrol");
    let (secret, codes) = b.enrol("acme").await;
    assert!(
        app.mail
            .wait_for("dana@example.com", "Two-step verification is on", 1)
            .await
            .is_some()
    );
    (f, secret, codes)
}

async fn totp_window_and_replay(app: App) {
    let (f, secret, _) = enrolled(&app).await;
    let steps = |n: i64| time::Duration::seconds(30 * n);
    app.clock.advance(steps(1));
    let now = app.totp(&secret, 0);
    assert_eq!(
        sign_in_with_code(&app, &now).await.0,
        StatusCode::SEE_OTHER,
        "current code"
    );
    assert_eq!(
        sign_in_with_code(&app, &now).await.0,
        StatusCode::UNAUTHORIZED,
        "replayed"
    );
    let ahead = app.totp(&secret, 1);
    assert_eq!(
        sign_in_with_code(&app, &ahead).await.0,
        StatusCode::SEE_OTHER,
        "one step ahead"
    );
    assert_eq!(
        sign_in_with_code(&app, &now).await.0,
        StatusCode::UNAUTHORIZED,
        "an older step after a newer one"
    );
    app.clock.advance(steps(3));
    let back = app.totp(&secret, -1);
    assert_eq!(
        sign_in_with_code(&app, &back).await.0,
        StatusCode::SEE_OTHER,
        "one step back"
    );
    app.clock.advance(steps(4));
    let two_back = app.totp(&secret, -2);
    assert_eq!(
        sign_in_with_code(&app, &two_back).await.0,
        StatusCode::UNAUTHORIZED,
        "two steps back"
    );
    let two_ahead = app.totp(&secret, 2);
    assert_eq!(
        sign_in_with_code(&app, &two_ahead).await.0,
        StatusCode::UNAUTHORIZED,
        "two steps ahead"
    );
    let (status, mut b) = sign_in_with_code(&app, &app.totp(&secret, 0)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(b.get("/b/acme/account").await.status, StatusCode::OK);
    let actions = app.audit_actions(&f.admin_key).await;
    assert!(actions.iter().any(|a| a == "auth.mfa_verified"));
    assert!(actions.iter().any(|a| a == "user.mfa_enrolled"));
    assert!(
        actions
            .iter()
            .filter(|a| *a == "auth.sign_in_failed")
            .count()
            >= 4,
        "{actions:?}"
    );
}

async fn recovery_codes_work_once(app: App) {
    let (f, _, codes) = enrolled(&app).await;
    assert!(
        codes
            .iter()
            .all(|c| c.len() == 19 && c.matches('-').count() == 3),
        "{codes:?}"
    );
    let (status, _) = sign_in_with_code(&app, &codes[0]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let mail = app
        .mail
        .wait_for("dana@example.com", "recovery code was used", 1)
        .await;
    assert!(mail.unwrap().data.contains("9 unused codes left"));
    assert_eq!(
        sign_in_with_code(&app, &codes[0]).await.0,
        StatusCode::UNAUTHORIZED,
        "used"
    );
    // Typed sloppily, another one works.
    let sloppy = codes[1].to_lowercase().replace('-', " ");
    let (status, mut b) = sign_in_with_code(&app, &sloppy).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // Regenerating voids the rest.
    let res = b
        .submit("/b/acme/account", "/b/acme/account/recovery-codes", &[])
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body.matches("<li><code>").count(), 10);
    assert_eq!(
        sign_in_with_code(&app, &codes[2]).await.0,
        StatusCode::UNAUTHORIZED,
        "old set void"
    );
    let actions = app.audit_actions(&f.admin_key).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "auth.recovery_code_used")
            .count(),
        2
    );
    assert!(actions.iter().any(|a| a == "auth.recovery_codes_issued"));
}

async fn enrolment_forced_by_policy_after_grace(app: App) {
    let f = app.fixture("acme").await;
    let (status, _) = app
        .patch(
            "/api/v1/settings/security",
            &f.admin_key,
            json!({ "mfa_policy": "all", "mfa_grace_days": 3 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Within the grace period: in, and free to enrol later.
    app.invite(&f.admin_key, "dana@example.com", &[]).await;
    let (mut b, res) = app.accept("dana@example.com", PW, 1).await;
    assert_eq!(res.location(), "/b/acme/account");
    assert!(
        b.get("/b/acme/account")
            .await
            .body
            .contains("Set up an authenticator app")
    );
    // After it: straight to enrolment, and nothing else.
    app.clock.advance(time::Duration::days(4));
    let mut b = Browser::new(&app);
    let res = b.sign_in("acme", "dana@example.com", PW).await;
    assert_eq!(res.location(), "/b/acme/mfa/enrol");
    assert_eq!(
        b.get("/b/acme/account").await.status,
        StatusCode::UNAUTHORIZED
    );
    let before = b.session().unwrap();
    b.enrol("acme").await;
    assert_ne!(b.session().unwrap(), before, "a new session once enrolled");
    assert_eq!(b.get("/b/acme/account").await.status, StatusCode::OK);
    let (_, users) = app.get("/api/v1/users?q=dana", &f.admin_key).await;
    assert_eq!(
        users["items"][0]["mfa_enrolled"], true,
        "the users list shows MFA state"
    );
    // Policy off: nobody is forced.
    app.patch(
        "/api/v1/settings/security",
        &f.admin_key,
        json!({ "mfa_policy": "off" }),
    )
    .await;
    app.invite(&f.admin_key, "eve@example.com", &[]).await;
    let (_, res) = app.accept("eve@example.com", PW, 1).await;
    assert_eq!(res.location(), "/b/acme/account");
}
