//! Issue 8, defects 3 and 4: accepting an invitation ends in the enrolment the MFA policy
//! requires (and nothing else is reachable before it); changing one's own second factor
//! needs a fresh proof of identity (step-up), audited and mailed.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::browser::Browser;
use crate::helpers::App;
use crate::invitations::PW;
use crate::sessions::{admin_group, live_group};
use crate::sign_in::member;

crate::backend_tests!(
    accepting_with_required_mfa_ends_in_enrolment,
    accepting_within_a_grace_period_signs_in,
    changing_the_second_factor_needs_a_fresh_proof,
    step_up_failures_count_towards_the_lock,
);

async fn accepting_with_required_mfa_ends_in_enrolment(app: App) {
    let f = app.fixture("acme").await;
    let admins = admin_group(&app, &f).await;
    let live = live_group(&app, &f).await;
    // Time moves between two readings, as on a real clock: the activation is stamped a
    // little after the acceptance began.
    app.clock.set_tick(time::Duration::milliseconds(1));
    for (policy, email, group) in [
        ("all", "ada@example.com", &admins),
        ("live_access", "lin@example.com", &live),
    ] {
        let (status, body) = app
            .patch(
                "/api/v1/settings/security",
                &f.admin_key,
                json!({ "mfa_policy": policy, "mfa_grace_days": 0 }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        app.invite(&f.admin_key, email, &[group]).await;
        let (mut b, res) = app.accept(email, PW, 1).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert_eq!(
            res.location(),
            "/b/acme/mfa/enrol",
            "{policy}: enrolment first"
        );
        // Nothing else works with that session: no account page, dashboard or API.
        let account = b.get("/b/acme/account").await;
        assert_ne!(account.status, StatusCode::OK, "{policy}: {}", account.body);
        let dashboard = b.get("/b/acme/admin/users").await;
        assert_ne!(dashboard.status, StatusCode::OK, "{policy}");
        let api = b.api(Method::GET, "/api/v1/users", None, None).await;
        assert_eq!(
            api.status,
            StatusCode::UNAUTHORIZED,
            "{policy}: {}",
            api.body
        );
        // After enrolling, the session is full.
        b.enrol("acme").await;
        assert_eq!(b.get("/b/acme/account").await.status, StatusCode::OK);
    }
}

async fn accepting_within_a_grace_period_signs_in(app: App) {
    let f = app.fixture("acme").await;
    let live = live_group(&app, &f).await;
    app.patch(
        "/api/v1/settings/security",
        &f.admin_key,
        json!({ "mfa_policy": "live_access", "mfa_grace_days": 2 }),
    )
    .await;
    app.invite(&f.admin_key, "lin@example.com", &[&live]).await;
    let (_, res) = app.accept("lin@example.com", PW, 1).await;
    assert_eq!(res.location(), "/b/acme/account", "{}", res.body);
    // When the grace period is over, the next sign-in enrols.
    app.clock.advance(time::Duration::days(2));
    let mut b = Browser::new(&app);
    let res = b.sign_in("acme", "lin@example.com", PW).await;
    assert_eq!(res.location(), "/b/acme/mfa/enrol");
}

async fn changing_the_second_factor_needs_a_fresh_proof(app: App) {
    let f = app.fixture("acme").await;
    let (mut b, dana) = member(&app, &f, "dana@example.com", &[]).await;
    // Right after signing in, enrolling needs nothing more.
    let (secret, _) = b.enrol("acme").await;
    app.clock.advance(time::Duration::minutes(10));
    // A session ten minutes old cannot swap the authenticator or the recovery codes.
    let enrol = b.get("/b/acme/mfa/enrol").await;
    assert_eq!(enrol.status, StatusCode::SEE_OTHER);
    assert!(
        enrol.location().starts_with("/b/acme/step-up?next="),
        "{}",
        enrol.location()
    );
    let codes = b
        .submit("/b/acme/account", "/b/acme/account/recovery-codes", &[])
        .await;
    assert_eq!(codes.status, StatusCode::SEE_OTHER, "{}", codes.body);
    assert!(codes.location().starts_with("/b/acme/step-up"));
    let page = b.get(enrol.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.input("next").as_deref(), Some("/b/acme/mfa/enrol"));
    // The password alone is not enough for a user with a second factor.
    let wrong = b
        .submit(
            enrol.location(),
            "/b/acme/step-up",
            &[
                ("next", "/b/acme/mfa/enrol"),
                ("password", PW),
                ("code", "000000"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN, "{}", wrong.body);
    assert_eq!(
        b.get("/b/acme/mfa/enrol").await.status,
        StatusCode::SEE_OTHER
    );
    // Password and a current code: back where the user was going, and allowed there.
    let code = app.totp(&secret, 0);
    let ok = b
        .submit(
            enrol.location(),
            "/b/acme/step-up",
            &[
                ("next", "/b/acme/mfa/enrol"),
                ("password", PW),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ok.location(), "/b/acme/mfa/enrol");
    assert_eq!(b.get("/b/acme/mfa/enrol").await.status, StatusCode::OK);
    let codes = b
        .submit("/b/acme/account", "/b/acme/account/recovery-codes", &[])
        .await;
    assert_eq!(codes.status, StatusCode::OK, "{}", codes.body);
    app.mail
        .wait_for("dana@example.com", "New recovery codes", 1)
        .await
        .expect("the user is told of new recovery codes");
    let (_, events) = app
        .get(
            &format!("/api/v1/audit-events?target={dana}&action=auth.stepped_up"),
            &f.admin_key,
        )
        .await;
    assert_eq!(events["items"].as_array().unwrap().len(), 1, "{events}");
    // An outside destination is never followed.
    let later = app.totp(&secret, 1);
    app.clock.advance(time::Duration::seconds(30));
    let out = b
        .submit(
            "/b/acme/step-up?next=https://evil.example/",
            "/b/acme/step-up",
            &[
                ("next", "https://evil.example/"),
                ("password", PW),
                ("code", &later),
            ],
        )
        .await;
    assert_eq!(out.location(), "/b/acme/account", "{}", out.body);
}

async fn step_up_failures_count_towards_the_lock(app: App) {
    let f = app.fixture("acme").await;
    let (mut b, dana) = member(&app, &f, "dana@example.com", &[]).await;
    app.clock.advance(time::Duration::minutes(10));
    for _ in 0..10 {
        let res = b
            .submit(
                "/b/acme/step-up",
                "/b/acme/step-up",
                &[("password", "not the password at all"), ("code", "")],
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    }
    let (_, user) = app
        .get(&format!("/api/v1/users/{dana}"), &f.admin_key)
        .await;
    assert_eq!(user["status"], "locked", "{user}");
}
