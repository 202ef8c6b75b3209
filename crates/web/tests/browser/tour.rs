//! Every page a newcomer meets, screenshotted at desktop and phone size and checked with
//! axe-core: setup, enrolment and recovery codes, sign-in and the code, forgotten password,
//! a dead link, and each dashboard page and confirmation not covered by another test.

use gatehouse_web::WebConfig;

use crate::driver::Driver;
use crate::flows::{PW, group, invite, sign_in};
use crate::server::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_is_accessible_at_both_sizes() {
    let Some(mut driver) = Driver::start().await else {
        return;
    };
    let srv = Server::start_with(WebConfig {
        business_tenants: true,
        ..WebConfig::default()
    })
    .await;
    let b = driver.browser(&srv.base).await;

    // First start.
    let link = srv.gh.prepare_setup().await.unwrap().unwrap();
    b.goto(&link).await;
    b.shots("setup").await;
    for (field, value) in [
        ("#business_name", "Acme Corp"),
        ("#business_slug", "acme"),
        ("#tenant_name", "United Kingdom"),
        ("#tenant_slug", "uk"),
        ("#email", "ada@acme.example"),
        ("#display_name", "Ada Lovelace"),
        ("#password", PW),
    ] {
        b.fill(field, value).await;
    }
    b.submit("button[type=submit]").await;
    b.shots("mfa-enrol").await;
    let secret = b.text("code.secret").await;
    b.fill("#code", &srv.next_totp(&secret)).await;
    b.submit("button[type=submit]").await;
    b.shots("recovery-codes").await;
    b.go("I have saved them — continue").await;

    // Signing in again.
    b.go("Sign out").await;
    b.shots("sign-in").await;
    b.fill("#email", "ada@acme.example").await;
    b.fill("#password", PW).await;
    b.go("Sign in").await;
    b.shots("mfa").await;
    b.fill("#code", &srv.next_totp(&secret)).await;
    b.go("Continue").await;

    // Pages before signing in.
    let visitor = driver.browser(&srv.base).await;
    visitor.goto("/b/acme/forgot-password").await;
    visitor.shots("forgot-password").await;
    visitor.fill("#email", "nobody@acme.example").await;
    visitor.go("Send the link").await;
    visitor.shots("forgot-password-sent").await;
    visitor.goto("/b/acme/reset-password/not-a-real-link").await;
    visitor.shots("link-not-usable").await;
    visitor.goto("/b/acme/admin/users").await;
    sign_in(&srv, &visitor, &secret).await;
    visitor.close().await;

    // The dashboard's remaining pages.
    group(&srv, "UK Analysts", &["uk"], &[], &["analytics"]).await;
    invite(&srv, "acme", "dana@acme.example", "Dana Scully").await;
    b.goto("/b/acme/admin/profile").await;
    b.shots("profile").await;
    b.go("Make new recovery codes").await;
    b.shots("profile-recovery-codes").await;
    b.goto("/b/acme/admin/api-keys").await;
    b.shots("api-keys").await;
    b.fill("#name", "Onboarding service").await;
    b.click("input[name=business][value='users.view']").await;
    b.go("Create key").await;
    b.shots("api-key-created").await;
    b.go("Revoke Onboarding service").await;
    b.shots("api-key-revoke").await;
    b.goto("/b/acme/admin/users/new").await;
    b.shots("invite").await;
    b.goto("/b/acme/admin/users?q=dana").await;
    b.go("dana@acme.example").await;
    b.shots("user-pending").await;
    b.go("Change groups").await;
    b.shots("user-edit").await;
    b.goto("/b/acme/admin/users?q=dana").await;
    b.go("dana@acme.example").await;
    b.click_text("Actions").await;
    b.go("Deactivate").await;
    b.shots("confirm-deactivate").await;
    b.goto("/b/acme/admin/groups").await;
    b.shots("groups").await;
    b.go("UK Analysts").await;
    b.shots("group-editor-existing").await;
    b.go("Members (0)").await;
    b.shots("group-members").await;
    b.fill("#email", "dana@acme.example").await;
    b.go("Add member").await;
    b.shots("member-review").await;
    b.go("Add dana@acme.example to UK Analysts").await;
    b.go("Settings & permissions").await;
    b.go("Delete group").await;
    b.shots("group-delete").await;
    b.goto("/b/acme/admin/tenants").await;
    b.go("Rename United Kingdom").await;
    b.shots("tenant-rename").await;
    b.goto("/b/acme/admin/settings").await;
    b.shots("settings").await;
    b.goto("/b/acme/admin/access-health").await;
    b.shots("access-health").await;
    b.goto("/b/acme/admin/access-requests").await;
    b.shots("access-requests").await;
    b.goto("/b/acme/admin/audit").await;
    b.shots("audit-log-tour").await;
    b.close().await;
}
