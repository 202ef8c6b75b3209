//! Administrators' actions on accounts end the user's sessions at once; password resets
//! by link (single use, expiry, newest wins, MFA still asked); the last administrator is
//! kept.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::browser::Browser;
use crate::helpers::{App, assert_error};
use crate::invitations::PW;
use crate::sessions::{admin_group, live_group};
use crate::sign_in::member;

crate::backend_tests!(
    admin_resets_and_deactivation_end_sessions_on_the_next_request,
    reset_links_single_use_expiring_newest_wins,
    the_last_administrator_is_kept,
);

const NEW_PW: &str = "amber lantern over quiet hills";

async fn admin_resets_and_deactivation_end_sessions_on_the_next_request(app: App) {
    let f = app.fixture("acme").await;
    let live = live_group(&app, &f).await;
    app.invite(&f.admin_key, "dana@example.com", &[&live]).await;
    let (mut b, _) = app.accept("dana@example.com", PW, 1).await;
    b.enrol("acme").await;
    let (_, users) = app.get("/api/v1/users?q=dana", &f.admin_key).await;
    let dana = users["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(b.get("/b/acme/account").await.status, StatusCode::OK);

    // Reset MFA.
    let (status, u) = app
        .post(
            &format!("/api/v1/users/{dana}/reset-mfa"),
            &f.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!(u["mfa_enrolled"], false);
    assert_eq!(
        b.get("/b/acme/account").await.status,
        StatusCode::SEE_OTHER,
        "session ended"
    );
    assert!(
        app.mail
            .wait_for("dana@example.com", "was reset", 1)
            .await
            .is_some()
    );
    let mut b = Browser::new(&app);
    let res = b.sign_in("acme", "dana@example.com", PW).await;
    assert_eq!(
        res.location(),
        "/b/acme/mfa/enrol",
        "enrol again: the policy requires it"
    );
    b.enrol("acme").await;

    // Reset password: the admin never sees the link; the old password stops working.
    let (status, _) = app
        .post(
            &format!("/api/v1/users/{dana}/reset-password"),
            &f.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        b.get("/b/acme/account").await.status,
        StatusCode::SEE_OTHER,
        "session ended"
    );
    assert_eq!(
        Browser::new(&app)
            .sign_in("acme", "dana@example.com", PW)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let link = app.mailed_link("dana@example.com", "Reset your", 1).await;
    let mut b = Browser::new(&app);
    let res = b.submit(&link, &link, &[("password", NEW_PW)]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(
        app.mail
            .wait_for("dana@example.com", "password was changed", 1)
            .await
            .is_some()
    );
    let res = b.sign_in("acme", "dana@example.com", NEW_PW).await;
    assert_eq!(
        res.location(),
        "/b/acme/mfa",
        "a reset does not skip the second factor"
    );

    // Deactivate, with a live session and an API call in flight.
    let mut full = Browser::new(&app);
    full.sign_in("acme", "dana@example.com", NEW_PW).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/users/{dana}/deactivate"),
            &f.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let res = b.get("/b/acme/mfa").await;
    assert_eq!(
        res.location(),
        "/b/acme/sign-in",
        "the half session died too"
    );
    assert_eq!(
        full.api(Method::GET, "/api/v1/tenants", None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        Browser::new(&app)
            .sign_in("acme", "dana@example.com", NEW_PW)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    let actions = app.audit_actions(&f.admin_key).await;
    for a in [
        "user.mfa_reset",
        "user.password_reset_by_admin",
        "auth.password_reset",
        "user.deactivated",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} missing: {actions:?}");
    }
}

async fn reset_links_single_use_expiring_newest_wins(app: App) {
    let f = app.fixture("acme").await;
    member(&app, &f, "dana@example.com", &[]).await;
    let mut b = Browser::new(&app);
    let forgot = "/b/acme/forgot-password";
    // Same answer whether or not the account exists.
    let known = b
        .submit(forgot, forgot, &[("email", "dana@example.com")])
        .await;
    let unknown = b
        .submit(forgot, forgot, &[("email", "nobody@example.com")])
        .await;
    assert_eq!(known.status, StatusCode::OK);
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.class_text("notice"), unknown.class_text("notice"));
    let first = app.mailed_link("dana@example.com", "Reset your", 1).await;
    b.submit(forgot, forgot, &[("email", "dana@example.com")])
        .await;
    let second = app.mailed_link("dana@example.com", "Reset your", 2).await;
    assert_eq!(
        b.get(&first).await.status,
        StatusCode::GONE,
        "the newer voids the older"
    );
    let res = b.submit(&second, &second, &[("password", NEW_PW)]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let again = b.get(&second).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.body.contains("already used"));
    assert_eq!(
        Browser::new(&app)
            .sign_in("acme", "dana@example.com", NEW_PW)
            .await
            .status,
        StatusCode::SEE_OTHER
    );

    b.submit(forgot, forgot, &[("email", "dana@example.com")])
        .await;
    let third = app.mailed_link("dana@example.com", "Reset your", 3).await;
    app.clock
        .advance(time::Duration::hours(1) + time::Duration::seconds(1));
    let expired = b.get(&third).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(expired.body.contains("expired"));
    let actions = app.audit_actions(&f.admin_key).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "auth.password_reset_requested")
            .count(),
        3
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "auth.password_reset")
            .count(),
        1
    );
}

async fn the_last_administrator_is_kept(app: App) {
    let f = app.fixture("acme").await;
    let admins = admin_group(&app, &f).await;
    let (mut alice, alice_id) = member(&app, &f, "alice@example.com", &[&admins]).await;
    let csrf = alice.csrf("acme").await;
    // Herself, through her session.
    let res = alice
        .api(
            Method::POST,
            &format!("/api/v1/users/{alice_id}/deactivate"),
            Some(&csrf),
            Some(json!({})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert!(res.body.contains("last_administrator"));
    // Anyone else, by any path.
    let k = &f.admin_key;
    for (path, body) in [
        (format!("/api/v1/users/{alice_id}/deactivate"), json!({})),
        (format!("/api/v1/users/{alice_id}/reset-mfa"), json!({})),
        (
            format!("/api/v1/users/{alice_id}/reset-password"),
            json!({}),
        ),
    ] {
        assert_error(
            &app.post(&path, k, body).await,
            StatusCode::CONFLICT,
            "last_administrator",
        );
    }
    assert_error(
        &app.patch(
            &format!("/api/v1/users/{alice_id}"),
            k,
            json!({ "group_ids": [] }),
        )
        .await,
        StatusCode::CONFLICT,
        "last_administrator",
    );
    assert_error(
        &app.delete(&format!("/api/v1/groups/{admins}/members/{alice_id}"), k)
            .await,
        StatusCode::CONFLICT,
        "last_administrator",
    );
    assert_error(
        &app.patch(
            &format!("/api/v1/groups/{admins}"),
            k,
            json!({ "permissions": { "business": ["users.view"] } }),
        )
        .await,
        StatusCode::CONFLICT,
        "last_administrator",
    );
    assert_error(
        &app.delete(&format!("/api/v1/groups/{admins}?force=true"), k)
            .await,
        StatusCode::CONFLICT,
        "last_administrator",
    );
    assert_eq!(
        alice.get("/b/acme/account").await.status,
        StatusCode::OK,
        "nothing changed"
    );
    // With a second administrator, the first may go.
    member(&app, &f, "bob@example.com", &[&admins]).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/users/{alice_id}/deactivate"),
            k,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}
