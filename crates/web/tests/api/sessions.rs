//! Sessions as credentials: half-signed-in sessions get nothing, CSRF and Origin guard
//! every cookie-authenticated change, the user's own session list.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::browser::Browser;
use crate::helpers::{App, Fixture};
use crate::invitations::PW;
use crate::sign_in::member;

crate::backend_tests!(
    a_half_signed_in_session_gets_401_everywhere,
    csrf_less_or_cross_origin_changes_are_refused,
    users_list_and_revoke_their_own_sessions,
);

/// A business group administering users and groups, with no Live rights (no MFA needed).
pub async fn admin_group(app: &App, f: &Fixture) -> String {
    let (status, g) = app
        .post(
            "/api/v1/groups",
            &f.admin_key,
            json!({ "name": "Admins", "type": "business", "acknowledge_sensitive": true,
                    "permissions": { "business": ["users.view", "users.manage", "groups.manage", "audit.view"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    g["id"].as_str().unwrap().to_owned()
}

/// A group with a Live permission: under the default policy, its members must enrol.
pub async fn live_group(app: &App, f: &Fixture) -> String {
    let (status, g) = app
        .post(
            "/api/v1/groups",
            &f.admin_key,
            json!({ "name": "Analysts", "type": "business", "permissions": { "live": ["analytics"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    g["id"].as_str().unwrap().to_owned()
}

async fn a_half_signed_in_session_gets_401_everywhere(app: App) {
    let f = app.fixture("acme").await;
    let live = live_group(&app, &f).await;
    let admins = admin_group(&app, &f).await;
    app.invite(&f.admin_key, "dana@example.com", &[&live, &admins])
        .await;
    let (mut b, res) = app.accept("dana@example.com", PW, 1).await;
    assert_eq!(
        res.location(),
        "/b/acme/mfa/enrol",
        "policy live_access: enrol first"
    );

    async fn refused(b: &mut Browser<'_>) {
        assert_eq!(
            b.get("/b/acme/account").await.status,
            StatusCode::UNAUTHORIZED
        );
        for path in [
            "/api/v1/users",
            "/api/v1/tenants",
            "/api/v1/groups",
            "/api/v1/permissions",
        ] {
            let res = b.api(Method::GET, path, None, None).await;
            assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{path}");
        }
        let res = b
            .post("/b/acme/account/recovery-codes", &[("csrf", "x")])
            .await;
        assert!(matches!(
            res.status,
            StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED
        ));
    }
    refused(&mut b).await;
    let (secret, _) = b.enrol("acme").await;
    assert_eq!(b.get("/b/acme/account").await.status, StatusCode::OK);

    // Password right, code not yet given: the same.
    let mut b = Browser::new(&app);
    let res = b.sign_in("acme", "dana@example.com", PW).await;
    assert_eq!(res.location(), "/b/acme/mfa");
    refused(&mut b).await;
    let page = b.get("/b/acme/mfa").await;
    let csrf = page.input("csrf").unwrap();
    app.clock.advance(time::Duration::seconds(30));
    let code = app.totp(&secret, 0);
    let done = b
        .post("/b/acme/mfa", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(
        done.location(),
        "/b/acme/admin",
        "someone who may see users starts on the dashboard"
    );
    assert_eq!(
        b.api(Method::GET, "/api/v1/users", None, None).await.status,
        StatusCode::OK
    );
}

async fn csrf_less_or_cross_origin_changes_are_refused(app: App) {
    let f = app.fixture("acme").await;
    let admins = admin_group(&app, &f).await;
    let (mut b, _) = member(&app, &f, "alice@example.com", &[&admins]).await;
    let csrf = b.csrf("acme").await;
    let invite = json!({ "email": "bob@example.com" });

    let res = b
        .api(Method::POST, "/api/v1/users", None, Some(invite.clone()))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert!(res.body.contains("csrf_rejected"));
    let res = b
        .api(
            Method::POST,
            "/api/v1/users",
            Some("wrong"),
            Some(invite.clone()),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    b.origin = Some("https://evil.example".to_owned());
    let res = b
        .api(
            Method::POST,
            "/api/v1/users",
            Some(&csrf),
            Some(invite.clone()),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "cross-origin");
    let form = b
        .post(
            "/b/acme/account/password",
            &[
                ("csrf", &csrf),
                ("current", PW),
                ("new", "a brand new passphrase here"),
            ],
        )
        .await;
    assert_eq!(form.status, StatusCode::FORBIDDEN, "cross-origin form");
    b.origin = Some(app.base.clone());
    let form = b
        .post(
            "/b/acme/account/password",
            &[("current", PW), ("new", "a brand new passphrase here")],
        )
        .await;
    assert_eq!(form.status, StatusCode::FORBIDDEN, "form without token");
    // Sign-in forms are guarded too (login CSRF).
    let mut anon = Browser::new(&app);
    let res = anon
        .post(
            "/b/acme/sign-in",
            &[("email", "alice@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(anon.session().is_none());
    // Nothing was changed by any of that; with token and own origin it works.
    let (_, users) = app.get("/api/v1/users?q=bob", &f.admin_key).await;
    assert_eq!(users["total"], 0);
    let res = b
        .api(Method::POST, "/api/v1/users", Some(&csrf), Some(invite))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    // GET needs no token and changes nothing.
    assert_eq!(
        b.api(Method::GET, "/api/v1/users", None, None).await.status,
        StatusCode::OK
    );
    let (_, page) = app
        .get(
            "/api/v1/audit-events?action=user.created&limit=5",
            &f.admin_key,
        )
        .await;
    assert_eq!(
        page["items"][0]["actor"]["kind"], "user",
        "the user is the actor"
    );
}

async fn users_list_and_revoke_their_own_sessions(app: App) {
    let f = app.fixture("acme").await;
    let (mut laptop, _) = member(&app, &f, "dana@example.com", &[]).await;
    let mut phone = Browser::new(&app);
    phone.sign_in("acme", "dana@example.com", PW).await;
    let page = laptop.get("/b/acme/account").await;
    assert_eq!(
        page.body.matches("/revoke\"").count(),
        1,
        "the other session is listed"
    );
    assert!(page.body.contains("This session"));
    let at = page.body.find("/account/sessions/").unwrap();
    let action = &page.body[at - 7..];
    let action = &action[..action.find('"').unwrap()];
    let csrf = page.input("csrf").unwrap();
    let res = laptop.post(action, &[("csrf", &csrf)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{action}: {}", res.body);
    assert_eq!(
        phone.get("/b/acme/account").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(laptop.get("/b/acme/account").await.status, StatusCode::OK);
    assert!(
        app.audit_actions(&f.admin_key)
            .await
            .iter()
            .any(|a| a == "auth.session_revoked")
    );
}
