//! Temporary access, access requests and access health in the dashboard, as an administrator
//! signed in with a browser uses them: adding a member for 4 hours (reviewed first, then the
//! time left on the members tab), approving a request from the inbox, the Access health page
//! and its digest switch, the thresholds form of the security settings.

use reqwest::StatusCode;
use serde_json::json;

use crate::authz::Table;
use crate::helpers::App;
use crate::invitations::PW;

crate::backend_tests!(an_administrator_works_temporary_access_and_access_health_in_the_dashboard);

async fn an_administrator_works_temporary_access_and_access_health_in_the_dashboard(app: App) {
    let t = Table::new(&app).await;
    let admins = t
        .group(&app, json!({ "name": "Administrators", "description": "Run the business", "type": "business",
            "permissions": { "business": ["users.view", "users.manage", "groups.manage", "audit.view", "settings.manage"], "live": ["analytics"] },
            "acknowledge_sensitive": true }))
        .await;
    let ops = t
        .group(&app, json!({ "name": "Live operations", "type": "business", "permissions": { "live": ["analytics"] } }))
        .await;
    app.invite(&t.f.admin_key, "ada@acme.com", &[&admins]).await;
    let (mut b, _) = app.accept("ada@acme.com", PW, 1).await;
    t.user(&app, "carl@acme.com", &[], true).await;
    app.invite(&t.f.admin_key, "dora@acme.com", &[]).await;
    let (mut dora, _) = app.accept("dora@acme.com", PW, 1).await;

    // Add carl for 4 hours: the review says when it ends; the members tab shows time left.
    let members = format!("/b/acme/admin/groups/{ops}/members");
    let review = b
        .submit(
            &members,
            &members,
            &[
                ("email", "carl@acme.com"),
                ("duration", "14400"),
                ("until", ""),
                ("step", "review"),
            ],
        )
        .await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.body);
    assert!(
        review.body.contains("Temporary access: it ends on"),
        "{}",
        review.body
    );
    let csrf = b.csrf("acme").await;
    let saved = b
        .post(
            &members,
            &[
                ("csrf", &csrf),
                ("email", "carl@acme.com"),
                ("duration", "14400"),
                ("until", ""),
                ("step", "save"),
            ],
        )
        .await;
    assert!(saved.status.is_redirection(), "{}", saved.body);
    let tab = b.get(&members).await;
    assert!(tab.body.contains("4 h 0 min left"), "{}", tab.body);
    // A made-up duration is refused beside its field, and nothing is added.
    let bad = b
        .post(
            &members,
            &[
                ("csrf", &csrf),
                ("email", "ada@acme.com"),
                ("duration", "999"),
                ("step", "save"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);

    // Dora asks from her account page; Ada approves from the inbox.
    let asked = dora
        .submit(
            "/b/acme/account",
            "/b/acme/account/access-requests",
            &[
                ("group", &ops),
                ("duration", "3600"),
                ("reason", "INC-7 refunds"),
            ],
        )
        .await;
    assert!(asked.status.is_redirection(), "{}", asked.body);
    let inbox = b.get("/b/acme/admin/access-requests").await;
    assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.body);
    assert!(inbox.body.contains("INC-7 refunds"), "{}", inbox.body);
    let (_, list) = app.get("/api/v1/access-requests", &t.f.admin_key).await;
    let id = list[0]["id"].as_str().unwrap().to_owned();
    let approved = b
        .post(
            &format!("/b/acme/admin/access-requests/{id}/approve"),
            &[("csrf", &csrf)],
        )
        .await;
    assert!(approved.status.is_redirection(), "{}", approved.body);
    let (_, list) = app.get("/api/v1/access-requests", &t.f.admin_key).await;
    assert_eq!(list[0]["status"], "approved", "{list}");
    let mine = dora.get("/b/acme/account").await;
    assert!(mine.body.contains("approved"), "{}", mine.body);

    // Access health: the page, the digest switch, the thresholds.
    let health = b.get("/b/acme/admin/access-health").await;
    assert_eq!(health.status, StatusCode::OK, "{}", health.body);
    assert!(
        health
            .body
            .contains("data-kind=\"group_without_description\""),
        "{}",
        health.body
    );
    let off = b
        .post(
            "/b/acme/admin/access-health/digest",
            &[("csrf", &csrf), ("receive", "no")],
        )
        .await;
    assert!(off.status.is_redirection(), "{}", off.body);
    let health = b.get("/b/acme/admin/access-health").await;
    assert!(
        health.body.contains("Receive the weekly digest"),
        "{}",
        health.body
    );
    let csv = b.get("/b/acme/admin/access-health/export.csv").await;
    assert!(
        csv.body.contains(",group_without_description,"),
        "{}",
        csv.body
    );
    let saved = b
        .post(
            "/b/acme/admin/settings/advisor",
            &[
                ("csrf", &csrf),
                ("sensitive_share_percent", "40"),
                ("dormant_days", "30"),
                ("invitation_days", "7"),
                ("unused_days", "60"),
            ],
        )
        .await;
    assert!(saved.status.is_redirection(), "{}", saved.body);
    let (_, s) = app.get("/api/v1/settings/advisor", &t.f.admin_key).await;
    assert_eq!(
        s,
        json!({ "sensitive_share_percent": 40, "dormant_days": 30, "invitation_days": 7, "unused_days": 60 })
    );
    let settings = b.get("/b/acme/admin/settings").await;
    assert!(
        settings.body.contains("id=\"thresholds\""),
        "{}",
        settings.body
    );
}
