//! The dashboard's pages enforce their permissions on the server, whatever the page shows:
//! a user who may only view users gets the table without the management buttons, and is
//! refused (403, nothing changed) on every management page and post; a post without the
//! session's CSRF token is refused before anything else. And a group change is previewed
//! with its effect before it is saved.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::App;
use crate::invitations::PW;

crate::backend_tests!(
    dashboard_enforces_permissions,
    group_change_is_reviewed_first,
    unknown_addresses_answer_in_kind,
    tenants_are_the_operators_unless_allowed,
    pending_users_show_their_invitation
);

/// A pending user's invitation is read from the audit trail on both backends: sent with its
/// expiry, then revoked.
async fn pending_users_show_their_invitation(app: App) {
    let f = app.fixture("acme").await;
    let (_, viewers) = app
        .post(
            "/api/v1/groups",
            &f.admin_key,
            json!({ "name": "Viewers", "type": "business", "permissions": { "business": ["users.view"] } }),
        )
        .await;
    let lee = app.invite(&f.admin_key, "lee@acme.example", &[]).await;
    app.invite(
        &f.admin_key,
        "viewer@acme.example",
        &[viewers["id"].as_str().unwrap()],
    )
    .await;
    let (mut b, _) = app.accept("viewer@acme.example", PW, 1).await;
    let lid = lee["id"].as_str().unwrap();
    let page = b.get(&format!("/b/acme/admin/users/{lid}")).await;
    assert!(
        page.body.contains("the link works until 2026-12-06"),
        "{}",
        page.body
    );
    let (status, _) = app
        .delete(&format!("/api/v1/users/{lid}/invitation"), &f.admin_key)
        .await;
    assert!(status.is_success(), "{status}");
    let page = b.get(&format!("/b/acme/admin/users/{lid}")).await;
    assert!(
        page.body.contains("Invitation revoked 2026-11-29"),
        "{}",
        page.body
    );
    let list = b.get("/b/acme/admin/users?status=pending").await;
    assert!(list.body.contains("Revoked"), "{}", list.body);
}

/// Without the operator's `business_tenants`, the Tenants page lists but offers no form,
/// and a business administrator's post is refused with nothing created.
async fn tenants_are_the_operators_unless_allowed(app: App) {
    let f = app.fixture("acme").await;
    let (_, admins) = app
        .post(
            "/api/v1/groups",
            &f.admin_key,
            json!({ "name": "Admins", "type": "business", "acknowledge_sensitive": true,
                    "permissions": crate::helpers::everything() }),
        )
        .await;
    app.invite(
        &f.admin_key,
        "boss@acme.example",
        &[admins["id"].as_str().unwrap()],
    )
    .await;
    let (mut b, _) = app.accept("boss@acme.example", PW, 1).await;
    b.enrol("acme").await;
    let page = b.get("/b/acme/admin/tenants").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains("Add a tenant"), "no form");
    let (_, before) = app.get("/api/v1/tenants", &f.admin_key).await;
    let csrf = page.input("csrf").unwrap();
    let refused = b
        .post(
            "/b/acme/admin/tenants",
            &[("csrf", &csrf), ("name", "Germany"), ("slug", "de")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("operator"), "{}", refused.body);
    let (_, after) = app.get("/api/v1/tenants", &f.admin_key).await;
    assert_eq!(before, after, "nothing created");
}

/// A browser asking for an unknown page gets an HTML 404; API clients (and anything under
/// `/api/`) keep getting the JSON error.
async fn unknown_addresses_answer_in_kind(app: App) {
    let get = |path: &str, html: bool| {
        let mut req = app.client.get(format!("{}{path}", app.base));
        if html {
            req = req.header("accept", "text/html,application/xhtml+xml,*/*;q=0.8");
        }
        req.send()
    };
    for (path, html, want_html) in [
        ("/no/such/page", true, true),
        ("/b/acme/admin/nope", true, true),
        ("/no/such/page", false, false),
        ("/api/v1/nope", true, false),
    ] {
        let res = get(path, html).await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
        let body = res.text().await.unwrap();
        if want_html {
            assert!(kind.starts_with("text/html"), "{path}: {kind}");
            assert!(
                body.contains("Page not found") || body.contains("Not found"),
                "{body}"
            );
        } else {
            assert!(kind.starts_with("application/json"), "{path}: {kind}");
            assert!(body.contains("\"not_found\""), "{body}");
        }
    }
}

async fn dashboard_enforces_permissions(app: App) {
    let f = app.fixture("acme").await;
    let (status, viewers) = app
        .post(
            "/api/v1/groups",
            &f.admin_key,
            json!({ "name": "Viewers", "type": "business", "permissions": { "business": ["users.view"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{viewers}");
    let target = app.invite(&f.admin_key, "target@acme.example", &[]).await;
    let gid = viewers["id"].as_str().unwrap();
    app.invite(&f.admin_key, "viewer@acme.example", &[gid])
        .await;
    let (mut b, _) = app.accept("viewer@acme.example", PW, 1).await;

    let users = b.get("/b/acme/admin/users").await;
    assert_eq!(users.status, StatusCode::OK, "{}", users.body);
    assert!(users.body.contains("target@acme.example"));
    assert!(
        !users.body.contains("Add a new user"),
        "no button without users.manage"
    );
    assert!(
        !users.body.contains("/admin/settings"),
        "no menu without settings.manage"
    );
    let csrf = users.input("csrf").unwrap();

    let tid = target["id"].as_str().unwrap();
    for page in [
        "/b/acme/admin/users/new".to_owned(),
        format!("/b/acme/admin/users/{tid}/do/deactivate"),
        "/b/acme/admin/groups/new".to_owned(),
        "/b/acme/admin/settings".to_owned(),
        "/b/acme/admin/api-keys".to_owned(),
        "/b/acme/admin/audit".to_owned(),
        "/b/acme/admin/audit/export.csv".to_owned(),
    ] {
        assert_eq!(b.get(&page).await.status, StatusCode::FORBIDDEN, "{page}");
    }
    let action = format!("/b/acme/admin/users/{tid}/do/deactivate");
    let refused = b.post(&action, &[("csrf", &csrf)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("Manage users"), "{}", refused.body);
    let no_csrf = b.post(&action, &[]).await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    assert!(no_csrf.body.contains("Request refused"));
    let (_, after) = app.get(&format!("/api/v1/users/{tid}"), &f.admin_key).await;
    assert_eq!(after["status"], "pending", "nothing changed");
}

async fn group_change_is_reviewed_first(app: App) {
    let f = app.fixture("acme").await;
    let (_, admins) = app
        .post(
            "/api/v1/groups",
            &f.admin_key,
            json!({ "name": "Admins", "type": "business", "acknowledge_sensitive": true,
                    "permissions": crate::helpers::everything() }),
        )
        .await;
    let (_, team) = app
        .post(
            "/api/v1/groups",
            &f.admin_key,
            json!({ "name": "Team", "type": "business", "permissions": { "sandbox": ["analytics"] } }),
        )
        .await;
    let gid = team["id"].as_str().unwrap();
    app.invite(
        &f.admin_key,
        "boss@acme.example",
        &[admins["id"].as_str().unwrap()],
    )
    .await;
    app.invite(&f.admin_key, "m1@acme.example", &[gid]).await;
    app.invite(&f.admin_key, "m2@acme.example", &[gid]).await;
    let (mut b, _) = app.accept("boss@acme.example", PW, 1).await;
    b.enrol("acme").await; // Live rights: the policy asks for MFA first
    let page = format!("/b/acme/admin/groups/{gid}");
    let editor = b.get(&page).await;
    assert_eq!(editor.status, StatusCode::OK, "{}", editor.body);
    let csrf = editor.input("csrf").unwrap();
    let version = editor.input("version").unwrap();
    let form = |step: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("version", version.clone()),
            ("name", "Team".to_owned()),
            ("kind", "business".to_owned()),
            ("live", "verification.delete".to_owned()),
            ("step", step.to_owned()),
        ]
    };
    let fields = form("review");
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let review = b.post(&page, &pairs).await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.body);
    assert!(
        review
            .body
            .contains("2 users</strong> gain Delete Verification in Live"),
        "{}",
        review.body
    );
    assert!(review.body.contains("lose Analytics in Sandbox"));
    let (_, unchanged) = app
        .get(&format!("/api/v1/groups/{gid}"), &f.admin_key)
        .await;
    assert_eq!(
        unchanged["version"], team["version"],
        "a review saves nothing"
    );

    let fields = form("save");
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let unacknowledged = b.post(&page, &pairs).await;
    assert_eq!(unacknowledged.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut pairs = pairs;
    pairs.push(("acknowledge", "yes"));
    let saved = b.post(&page, &pairs).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let (_, changed) = app
        .get(&format!("/api/v1/groups/{gid}"), &f.admin_key)
        .await;
    assert_eq!(
        changed["permissions"]["live"],
        json!(["verification.delete"])
    );
}
