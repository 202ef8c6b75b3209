//! An invitation's mail delivery as administrators see it: retrying with the mail server's
//! error while it is down, sent once it is back; failed after the last attempt, and a
//! resend then delivered. The API's user carries it (`invitation_mail`), the dashboard shows
//! it on the user's page and in the users table.

use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

use crate::browser::Browser;
use crate::helpers::{App, Fixture};
use crate::invitations::PW;

crate::backend_tests!(
    a_delayed_invitation_shows_retrying_then_sent,
    an_undeliverable_invitation_shows_failed_until_resent,
);

/// A signed-in dashboard user who may view users (and a fixture).
async fn viewer(app: &App) -> (Fixture, Browser<'_>) {
    let f = app.fixture("acme").await;
    let (status, viewers) = app
        .post(
            "/api/v1/groups",
            &f.admin_key,
            json!({ "name": "Viewers", "type": "business", "permissions": { "business": ["users.view"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{viewers}");
    let gid = viewers["id"].as_str().unwrap();
    app.invite(&f.admin_key, "viewer@acme.example", &[gid])
        .await;
    let (b, _) = app.accept("viewer@acme.example", PW, 1).await;
    (f, b)
}

/// Waits (up to 20 s) until the user's invitation mail is `status`; returns the delivery.
async fn delivery_until(app: &App, key: &str, user: &str, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (code, got) = app.get(&format!("/api/v1/users/{user}"), key).await;
        assert_eq!(code, StatusCode::OK, "{got}");
        if got["invitation_mail"]["status"] == status {
            return got["invitation_mail"].clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "invitation never {status}: {got}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn a_delayed_invitation_shows_retrying_then_sent(app: App) {
    let (f, mut b) = viewer(&app).await;
    app.mail.set_down(true);
    let dana = app.invite(&f.admin_key, "dana@example.com", &[]).await;
    let id = dana["id"].as_str().unwrap();

    // Tried at once, turned away by the server: it will be tried again.
    let d = delivery_until(&app, &f.admin_key, id, "retrying").await;
    assert_eq!(d["attempts"], 1, "{d}");
    assert!(d["last_error"].as_str().unwrap().contains("421"), "{d}");
    assert!(d["next_attempt_at"].is_string(), "{d}");
    let page = b.get(&format!("/b/acme/admin/users/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Invitation retrying"), "{}", page.body);
    assert!(page.body.contains("421"), "the error is shown");
    let table = b.get("/b/acme/admin/users?status=pending").await;
    assert!(table.body.contains("Invitation retrying"), "{}", table.body);

    // The server is back; the retry comes after the back-off (30 s).
    app.mail.set_down(false);
    app.clock.advance(Duration::seconds(30));
    app.gh.deliver_due_mail().await.unwrap();
    let link = app.mailed_link("dana@example.com", "invited", 1).await;
    assert!(link.starts_with("/b/acme/invitation/"), "{link}");
    let d = delivery_until(&app, &f.admin_key, id, "sent").await;
    assert_eq!(d["attempts"], 2, "{d}");
    assert!(d["sent_at"].is_string() && d["last_error"].is_null(), "{d}");
    let page = b.get(&format!("/b/acme/admin/users/{id}")).await;
    assert!(page.body.contains("Invitation sent"), "{}", page.body);
    let to_dana = app
        .mail
        .mails()
        .iter()
        .filter(|m| m.to.iter().any(|t| t == "dana@example.com"))
        .count();
    assert_eq!(to_dana, 1, "delivered once");
}

async fn an_undeliverable_invitation_shows_failed_until_resent(app: App) {
    let (f, mut b) = viewer(&app).await;
    app.mail.set_down(true);
    let eve = app.invite(&f.admin_key, "eve@example.com", &[]).await;
    let id = eve["id"].as_str().unwrap();
    delivery_until(&app, &f.admin_key, id, "retrying").await;
    // Every retry fails until the last attempt (10 by default, at most an hour apart).
    let mut failed = None;
    for _ in 0..30 {
        app.clock.advance(Duration::hours(1));
        app.gh.deliver_due_mail().await.unwrap();
        let (_, got) = app.get(&format!("/api/v1/users/{id}"), &f.admin_key).await;
        if got["invitation_mail"]["status"] == "failed" {
            failed = Some(got["invitation_mail"].clone());
            break;
        }
    }
    let d = failed.expect("the invitation ends failed");
    assert_eq!(d["attempts"], 10, "{d}");
    assert!(d["last_error"].as_str().unwrap().contains("421"), "{d}");
    assert!(d["next_attempt_at"].is_null(), "{d}");
    // Hours went by: the viewer signs in again.
    b.sign_in("acme", "viewer@acme.example", PW).await;
    let page = b.get(&format!("/b/acme/admin/users/{id}")).await;
    assert!(
        page.body.contains("Invitation not delivered"),
        "{}",
        page.body
    );
    let table = b.get("/b/acme/admin/users?status=pending").await;
    assert!(table.body.contains("Invitation not delivered"));

    // Once mail works, a resend is a new mail, and it arrives.
    app.mail.set_down(false);
    let (status, _) = app
        .post(
            &format!("/api/v1/users/{id}/invitation"),
            &f.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.mailed_link("eve@example.com", "invited", 1).await;
    let d = delivery_until(&app, &f.admin_key, id, "sent").await;
    assert_eq!(d["attempts"], 1, "{d}");
}
