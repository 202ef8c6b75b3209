//! Invitations end to end, with the mail received over SMTP: accept, reuse, expiry,
//! revoke, resend, and inviting an email that is taken.

use reqwest::{Method, StatusCode};

use crate::browser::Browser;
use crate::helpers::{App, assert_error};

pub const PW: &str = "violet kettle marches north";

crate::backend_tests!(
    accept_once_then_the_link_is_dead,
    an_expired_invitation_gets_a_clear_page,
    resend_kills_the_old_link_and_revoke_the_new,
    inviting_an_existing_email_conflicts,
);

async fn accept_once_then_the_link_is_dead(app: App) {
    let f = app.fixture("acme").await;
    let user = app.invite(&f.admin_key, "dana@example.com", &[]).await;
    assert_eq!(user["status"], "pending");
    let mail = app
        .mail
        .wait_for("dana@example.com", "invited", 1)
        .await
        .unwrap();
    assert!(mail.data.contains("text/plain") && mail.data.contains("text/html"));
    let link = app.mailed_link("dana@example.com", "invited", 1).await;
    assert!(link.starts_with("/b/acme/invitation/"), "{link}");

    let mut b = Browser::new(&app);
    let page = b.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("dana@example.com"));
    let csrf = page.input("csrf").unwrap();
    let done = b.post(&link, &[("csrf", &csrf), ("password", PW)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/b/acme/account");
    assert!(b.session().is_some());
    let account = b.get("/b/acme/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(account.body.contains("dana@example.com"));

    let uid = user["id"].as_str().unwrap();
    let (_, now) = app.get(&format!("/api/v1/users/{uid}"), &f.admin_key).await;
    assert_eq!(now["status"], "active");
    assert!(now["activated_at"].is_string());

    // The link works once.
    let mut other = Browser::new(&app);
    let again = other.get(&link).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.body.contains("already used"), "{}", again.body);
    let sign_in = other.get("/b/acme/sign-in").await;
    let csrf = sign_in.input("csrf").unwrap();
    let reuse = other
        .post(&link, &[("csrf", &csrf), ("password", PW)])
        .await;
    assert_eq!(reuse.status, StatusCode::GONE);
    assert!(other.session().is_none());

    let actions = app.audit_actions(&f.admin_key).await;
    for a in [
        "user.created",
        "user.invitation_accepted",
        "user.activated",
        "auth.signed_in",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "{a} missing from {actions:?}"
        );
    }
}

async fn an_expired_invitation_gets_a_clear_page(app: App) {
    let f = app.fixture("acme").await;
    app.invite(&f.admin_key, "dana@example.com", &[]).await;
    let link = app.mailed_link("dana@example.com", "invited", 1).await;
    app.clock
        .advance(time::Duration::days(7) + time::Duration::seconds(1));
    let mut b = Browser::new(&app);
    let page = b.get(&link).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.body.contains("has expired"), "{}", page.body);
    assert!(page.body.contains("<h1>"), "a page, not an error dump");
}

async fn resend_kills_the_old_link_and_revoke_the_new(app: App) {
    let f = app.fixture("acme").await;
    let user = app.invite(&f.admin_key, "dana@example.com", &[]).await;
    let uid = user["id"].as_str().unwrap();
    let first = app.mailed_link("dana@example.com", "invited", 1).await;

    let (status, _) = app
        .post(
            &format!("/api/v1/users/{uid}/invitation"),
            &f.admin_key,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let second = app.mailed_link("dana@example.com", "invited", 2).await;
    assert_ne!(first, second);
    let mut b = Browser::new(&app);
    let old = b.get(&first).await;
    assert_eq!(old.status, StatusCode::GONE);
    assert!(old.body.contains("withdrawn"), "{}", old.body);
    assert_eq!(b.get(&second).await.status, StatusCode::OK);

    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{uid}/invitation"),
            &f.admin_key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(b.get(&second).await.status, StatusCode::GONE);
    assert_error(
        &app.delete(&format!("/api/v1/users/{uid}/invitation"), &f.admin_key)
            .await,
        StatusCode::NOT_FOUND,
        "invitation_not_found",
    );

    // A third one works, and once accepted there is nothing left to resend.
    app.post(
        &format!("/api/v1/users/{uid}/invitation"),
        &f.admin_key,
        serde_json::json!({}),
    )
    .await;
    let (_, res) = app.accept("dana@example.com", PW, 3).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_error(
        &app.post(
            &format!("/api/v1/users/{uid}/invitation"),
            &f.admin_key,
            serde_json::json!({}),
        )
        .await,
        StatusCode::CONFLICT,
        "user_not_pending",
    );
    let actions = app.audit_actions(&f.admin_key).await;
    assert!(
        actions
            .iter()
            .filter(|a| *a == "user.invitation_sent")
            .count()
            >= 2
    );
    assert!(actions.iter().any(|a| a == "user.invitation_revoked"));
}

async fn inviting_an_existing_email_conflicts(app: App) {
    let f = app.fixture("acme").await;
    app.invite(&f.admin_key, "dana@example.com", &[]).await;
    assert_error(
        &app.post(
            "/api/v1/users",
            &f.admin_key,
            serde_json::json!({ "email": "DANA@example.com" }),
        )
        .await,
        StatusCode::CONFLICT,
        "email_taken",
    );
}
