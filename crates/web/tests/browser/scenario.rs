//! The administrator's day, in a real browser: first-start setup with MFA; inviting a user
//! who accepts from the mail, enrols TOTP and signs in; a Tenants group with Sandbox-only
//! rights and the user's effective matrix showing it; filtering users by status; a limited
//! administrator refused a right they lack; deactivation refusing the user's open session on
//! its next click; and the audit log showing all of it.

use serde_json::json;

use crate::driver::{Browser, Driver};
use crate::flows::{enrol, set_up};
use crate::server::Server;

const DANA_PW: &str = "amber lantern drifts slowly";

/// The user's next click (a link of the open page) after the account was deactivated.
async fn refused_on_next_click(dana: &Browser) {
    dana.go("Profile").await;
    assert_eq!(
        dana.path().await,
        "/b/acme/sign-in",
        "a deactivated user's session is refused at once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrator_day_in_a_real_browser() {
    let Some(mut driver) = Driver::start().await else {
        return;
    };
    let srv = Server::start().await;
    let admin = driver.browser(&srv.base).await;
    set_up(&srv, &admin).await;

    // A second tenant, as the operator adds them.
    let slug = gatehouse_domain::types::Slug::parse("acme").unwrap();
    let business = srv.gh.business_by_slug(&slug).await;
    let business = business.unwrap().unwrap();
    srv.operator(
        &format!("/api/v1/businesses/{}/tenants", business.id),
        json!({ "name": "Germany", "slug": "de" }),
    )
    .await;

    // The dashboard: business and user always visible; policy: everyone enrols.
    admin.goto("/b/acme/admin").await;
    assert_eq!(admin.path().await, "/b/acme/admin/users");
    let header = admin.text("header.top").await;
    assert!(
        header.contains("Acme Corp") && header.contains("Ada Lovelace"),
        "{header}"
    );
    admin.go("Security settings").await;
    admin.click("#p-all").await;
    admin.go("Save settings").await;
    assert!(admin.main_text().await.contains("Security settings saved."));
    admin.shots("security-settings").await;

    // Invite Dana (and Lee, who will stay pending).
    for (email, name) in [
        ("dana@acme.example", "Dana Scully"),
        ("lee@acme.example", "Lee Chen"),
    ] {
        admin.go("Users").await;
        admin.go("+ Add a new user").await;
        admin.fill("#email", email).await;
        admin.fill("#name", name).await;
        admin.go("Send invitation").await;
        assert!(admin.main_text().await.contains("Invitation sent."));
    }

    // Dana accepts from the mail, enrols TOTP, signs out and signs in again.
    let dana = driver.browser(&srv.base).await;
    dana.goto(&srv.mailed_link("dana@acme.example", "invited", 1).await)
        .await;
    dana.fill("#password", DANA_PW).await;
    dana.submit("button[type=submit]").await;
    assert_eq!(
        dana.path().await,
        "/b/acme/mfa/enrol",
        "the policy asks for MFA"
    );
    let dana_app = enrol(&srv, &dana).await;
    assert_eq!(dana.path().await, "/b/acme/account");
    dana.go("Sign out").await;
    dana.goto("/b/acme/sign-in").await;
    dana.fill("#email", "dana@acme.example").await;
    dana.fill("#password", DANA_PW).await;
    dana.go("Sign in").await;
    let text = dana.main_text().await;
    assert_eq!(dana.path().await, "/b/acme/mfa", "{text}");
    dana.fill("#code", &srv.next_totp(&dana_app)).await;
    dana.go("Continue").await;
    assert_eq!(dana.path().await, "/b/acme/account");
    dana.goto("/b/acme/admin").await;
    assert_eq!(
        dana.path().await,
        "/b/acme/admin/profile",
        "no right to see users"
    );
    assert!(
        !dana.exists("nav.side a[href$='/admin/users']").await,
        "menus she lacks are hidden"
    );

    // A Tenants group with a Sandbox-only permission set, in the United Kingdom only.
    admin.go("User Groups").await;
    admin.go("+ New group").await;
    admin.fill("#name", "Sandbox reviewers").await;
    admin
        .fill("#description", "Review verifications in the UK sandbox")
        .await;
    admin.click("#kind-tenants").await;
    admin.click_text("United Kingdom").await;
    for key in ["verification.view", "verification.perform", "analytics"] {
        admin
            .click(&format!("input[name=sandbox][value='{key}']"))
            .await;
    }
    admin.shots("group-editor").await;
    admin.go("Create group").await;
    assert!(admin.main_text().await.contains("Group created."));

    // Dana joins it, after a review of what she gains.
    admin.go("Members (0)").await;
    admin.fill("#email", "dana@acme.example").await;
    admin.go("Add member").await;
    let review = admin.text("#effect").await;
    assert!(review.contains("View Verification in Sandbox"), "{review}");
    assert!(!review.contains("in Live"), "{review}");
    admin.go("Add dana@acme.example to Sandbox reviewers").await;
    assert!(admin.main_text().await.contains("Member added."));

    // Her effective matrix: granted in the UK's Sandbox by the group, nowhere in Live.
    admin.go("dana@acme.example").await;
    let tenants = admin
        .run("return [...document.querySelectorAll('#effective-matrix thead tr:first-child th[colspan]')].map(t => t.textContent.trim())")
        .await;
    let cells = admin
        .run("const r = [...document.querySelectorAll('#effective-matrix tbody tr')].find(r => r.querySelector('th').textContent.startsWith('View Verification')); return [...r.querySelectorAll('td')].map(td => td.textContent.trim())")
        .await;
    let tenants: Vec<String> = serde_json::from_value(tenants).unwrap();
    let cells: Vec<String> = serde_json::from_value(cells).unwrap();
    let uk = tenants.iter().position(|t| t == "United Kingdom").unwrap();
    let de = tenants.iter().position(|t| t == "Germany").unwrap();
    assert!(!cells[2 * uk].contains('✓'), "not in Live: {cells:?}");
    assert!(cells[2 * uk + 1].contains("Sandbox reviewers"), "{cells:?}");
    assert!(
        !cells[2 * de].contains('✓') && !cells[2 * de + 1].contains('✓'),
        "{cells:?}"
    );
    admin.shots("user-permission-matrix").await;

    // Filtering users by status.
    admin.go("Users").await;
    admin.shots("users").await;
    admin.select("#status", "Pending").await;
    admin.go("Apply filters").await;
    let pending = admin.text("#users tbody").await;
    assert!(pending.contains("lee@acme.example"), "{pending}");
    assert!(!pending.contains("dana@acme.example"), "{pending}");
    admin.select("#status", "Active").await;
    admin.go("Apply filters").await;
    let active = admin.text("#users tbody").await;
    assert!(active.contains("dana@acme.example") && active.contains("ada@acme.example"));
    assert!(!active.contains("lee@acme.example"), "{active}");

    limited_admin_is_refused(&srv, &admin, &dana).await;

    // Deactivation: the confirmation says what happens; Dana's open page is refused.
    admin.goto("/b/acme/admin/users").await;
    admin.go("dana@acme.example").await;
    admin.click_text("Actions").await;
    admin.go("Deactivate").await;
    let confirm = admin.main_text().await;
    assert!(
        confirm.contains("ends all of Dana Scully's sessions now"),
        "{confirm}"
    );
    admin.go("Deactivate Dana Scully").await;
    assert!(admin.main_text().await.contains("User deactivated"));
    refused_on_next_click(&dana).await;

    audit_shows_it_all(&admin).await;
    dana.close().await;
    admin.close().await;
}

/// Dana, given group and user administration but no Live rights, cannot grant Live rights
/// through the editor: the refusal names the missing right. Her menus show only what she
/// may use.
async fn limited_admin_is_refused(_srv: &Server, admin: &Browser, dana: &Browser) {
    admin.go("User Groups").await;
    admin.go("+ New group").await;
    admin.fill("#name", "Group managers").await;
    for key in ["users.view", "groups.manage"] {
        admin
            .click(&format!("input[name=business][value='{key}']"))
            .await;
    }
    admin.go("Create group").await;
    let review = admin.main_text().await;
    assert!(
        review.contains("Manage groups"),
        "sensitive grant needs acknowledgement: {review}"
    );
    admin.click("#acknowledge").await;
    admin.go("Create group").await;
    assert!(admin.main_text().await.contains("Group created."));
    admin.go("Members (0)").await;
    admin.fill("#email", "dana@acme.example").await;
    admin.go("Add member").await;
    admin.go("Add dana@acme.example to Group managers").await;

    dana.goto("/b/acme/admin").await;
    assert_eq!(dana.path().await, "/b/acme/admin/users");
    let nav = dana.text("nav.side").await;
    assert!(
        nav.contains("User Groups")
            && !nav.contains("Security settings")
            && !nav.contains("API keys"),
        "{nav}"
    );
    dana.go("User Groups").await;
    dana.go("+ New group").await;
    dana.fill("#name", "Escalation").await;
    dana.click("input[name=live][value='verification.delete']")
        .await;
    dana.go("Create group").await;
    let refused = dana.text("#form-error").await;
    assert!(
        refused.contains("Delete Verification in Live"),
        "the refusal names the missing right: {refused}"
    );
    dana.goto("/b/acme/admin/settings").await;
    assert!(
        dana.main_text().await.contains("Manage security settings"),
        "a page she lacks the right for is refused on the server"
    );
}

/// The audit log shows the day, filters by target, and exports what it shows.
async fn audit_shows_it_all(admin: &Browser) {
    admin.go("Audit log").await;
    admin.shots("audit-log").await;
    let log = admin.text("#audit").await;
    assert!(
        log.contains("Ada Lovelace added dana@acme.example to Sandbox reviewers"),
        "{log}"
    );
    for action in [
        "setup.completed",
        "settings.security_changed",
        "user.created",
        "user.invitation_accepted",
        "user.mfa_enrolled",
        "group.created",
        "group.members_added",
        "group.sensitive_permission_granted",
        "user.deactivated",
    ] {
        assert!(log.contains(action), "{action} missing from the audit page");
    }
    admin.fill("#target", "dana@acme.example").await;
    admin.go("Apply filters").await;
    let about_dana = admin.text("#audit").await;
    assert!(about_dana.contains("user.deactivated") && !about_dana.contains("setup.completed"));
    assert!(
        about_dana.contains("Ada Lovelace deactivated Dana Scully"),
        "{about_dana}"
    );
    admin.click("#audit details.event summary").await;
    let diff = admin.text("#audit table.diff").await;
    assert!(
        diff.contains("Status") && diff.contains("deactivated"),
        "{diff}"
    );
    admin.shots("audit-log-diff").await;
    // Bad filters are refused beside their fields, with nothing listed or exported.
    admin
        .goto("/b/acme/admin/audit?from=2026-02-30&to=2020-01-01&actor=nobody%40acme.example&action=User!")
        .await;
    let problems = admin.text("#form-problems").await;
    for expected in [
        "No user of this business has this email.",
        "Action must be a name like user or group.created.",
        "From must be a date like 2026-11-30.",
    ] {
        assert!(problems.contains(expected), "{problems}");
    }
    assert!(!admin.exists("#audit").await && !admin.exists("a[href*='export.csv']").await);
    admin.shots("audit-log-bad-filters").await;
    admin
        .goto("/b/acme/admin/audit?from=2026-03-02&to=2026-03-01")
        .await;
    assert!(admin.text("#to-error").await.contains("on or after From"));
    admin
        .goto("/b/acme/admin/audit?target=dana%40acme.example")
        .await;
    // The export link of the filtered view, fetched with the admin's session.
    let href = admin
        .find("a[href*='export.csv']")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let session = admin
        .client
        .get_named_cookie("__Host-gh_session")
        .await
        .unwrap();
    let csv = reqwest::Client::new()
        .get(format!(
            "{}{href}",
            admin.base.replace("localhost", "127.0.0.1")
        ))
        .header("cookie", format!("__Host-gh_session={}", session.value()))
        .send()
        .await
        .unwrap();
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("id,occurred_at,actor_kind"), "{csv}");
    assert!(csv.contains("user.deactivated") && !csv.contains("setup.completed"));
}
