//! Choosing a user's groups shows what each grants, and a change of groups is reviewed
//! before it is saved: an invitation shows what the person will get, an edit what they gain
//! and lose, by environment and tenant.

use crate::driver::Driver;
use crate::flows::{group, set_up};
use crate::server::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_show_their_grants_and_changes_are_reviewed() {
    let Some(mut driver) = Driver::start().await else {
        return;
    };
    let srv = Server::start().await;
    let admin = driver.browser(&srv.base).await;
    set_up(&srv, &admin).await;
    group(&srv, "UK Analysts", &["uk"], &[], &["analytics"]).await;

    admin.goto("/b/acme/admin/users/new").await;
    let choices = admin.text("#groups").await;
    assert!(
        choices.contains("Tenants: United Kingdom · Sandbox: Analytics"),
        "{choices}"
    );
    admin.fill("#email", "carl@acme.example").await;
    admin.fill("#name", "Carl Sagan").await;
    admin.click_text("UK Analysts").await;
    admin.go("Send invitation").await;
    let review = admin.text("#effect").await;
    assert!(
        review.contains("Gains") && review.contains("Analytics in Sandbox: United Kingdom"),
        "{review}"
    );
    admin.shots("invite-review").await;
    admin.go("Send invitation").await;
    assert!(admin.main_text().await.contains("Invitation sent."));

    admin.go("carl@acme.example").await;
    admin.go("Change groups").await;
    admin.click_text("UK Analysts").await;
    admin.go("Save user").await;
    let review = admin.text("#effect").await;
    assert!(
        review.contains("Loses") && review.contains("Analytics in Sandbox: United Kingdom"),
        "{review}"
    );
    admin.shots("edit-user-review").await;
    admin.go("Save user").await;
    assert!(admin.main_text().await.contains("User saved."));
    assert!(admin.main_text().await.contains("Not in any group"));
    admin.close().await;
}
