//! A large user base: ticked users are added to a group, deactivated or sent new
//! invitations — each reviewed first, with who is affected and who is skipped, and failures
//! reported per user; one box ticks a whole page; the filtered list exports as CSV; and the
//! email-ordered list jumps to a prefix.

use crate::driver::{Browser, Driver, PHONE};
use crate::flows::{group, invite_many, set_up};
use crate::server::Server;

async fn tick(b: &Browser, email: &str) {
    b.click(&format!("#users input[aria-label='Tick {email}']"))
        .await;
}

async fn fetch(b: &Browser, href: &str) -> String {
    let session = b
        .client
        .get_named_cookie("__Host-gh_session")
        .await
        .unwrap();
    reqwest::Client::new()
        .get(format!(
            "{}{href}",
            b.base.replace("localhost", "127.0.0.1")
        ))
        .header("cookie", format!("__Host-gh_session={}", session.value()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_actions_export_and_jump() {
    let Some(mut driver) = Driver::start().await else {
        return;
    };
    let srv = Server::start().await;
    let admin = driver.browser(&srv.base).await;
    set_up(&srv, &admin).await;
    group(&srv, "UK Analysts", &["uk"], &[], &["analytics"]).await;
    invite_many(&srv, "acme", 60).await;

    // Add three users to a group: reviewed, then done.
    admin.goto("/b/acme/admin/users").await;
    for e in [
        "user-00@acme.example",
        "user-01@acme.example",
        "user-02@acme.example",
    ] {
        tick(&admin, e).await;
    }
    admin.select("#bulk-action", "Add to a group").await;
    admin.select("#bulk-group", "UK Analysts").await;
    admin.go("Review…").await;
    let review = admin.main_text().await;
    assert!(review.contains("Add 3 users to UK Analysts?"), "{review}");
    assert!(review.contains("joins the group"), "{review}");
    assert!(
        admin
            .text("#effect")
            .await
            .contains("3 users gain Analytics in Sandbox")
    );
    admin.shots("bulk-review").await;
    admin.go("Add 3 users to UK Analysts").await;
    assert!(admin.main_text().await.contains("Done for 3 users."));
    admin.go("Back to the users").await;
    assert_eq!(admin.path().await, "/b/acme/admin/users");

    // Deactivate Ada herself and one more: warned, then Ada is refused (the last
    // administrator) and the other is done; each outcome is reported.
    tick(&admin, "ada@acme.example").await;
    tick(&admin, "user-03@acme.example").await;
    admin.select("#bulk-action", "Deactivate").await;
    admin.go("Review…").await;
    assert!(admin.exists("#self-warning").await);
    admin.click("#confirm_self").await;
    admin.go("Deactivate 2 users").await;
    let done = admin.main_text().await;
    assert!(done.contains("Done for 1 user."), "{done}");
    assert!(
        done.contains(
            "Ada Lovelace: This would leave the business without an active administrator"
        ),
        "{done}"
    );

    // A skipped user is said to be skipped.
    admin.goto("/b/acme/admin/users").await;
    tick(&admin, "ada@acme.example").await;
    tick(&admin, "user-04@acme.example").await;
    admin.select("#bulk-action", "Resend the invitation").await;
    admin.go("Review…").await;
    assert!(
        admin
            .text("#bulk-users")
            .await
            .contains("Skipped: not pending")
    );
    admin.go("Resend the invitation of 1 user").await;
    srv.mail
        .wait_for("user-04@acme.example", "invited", 2)
        .await
        .unwrap();

    // Nothing ticked: said so on the list.
    admin.goto("/b/acme/admin/users").await;
    admin.select("#bulk-action", "Deactivate").await;
    admin.go("Review…").await;
    assert!(admin.text("#form-error").await.contains("Tick the users"));

    // One box ticks the page.
    admin.click("#select-all").await;
    let ticked = admin
        .run("return document.querySelectorAll('#users input[name=user]:checked').length")
        .await;
    assert_eq!(ticked, 50);

    // The filtered list as CSV.
    admin.select("#status", "Pending").await;
    admin.go("Apply filters").await;
    let href = admin
        .find("a[href*='users/export.csv']")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let csv = fetch(&admin, &href).await;
    assert!(csv.starts_with("id,email,name,status"), "{csv}");
    assert_eq!(
        csv.lines().count(),
        1 + 59,
        "59 pending users and the header"
    );
    assert!(!csv.contains("ada@acme.example"));

    // Jumping to a prefix in the email order.
    admin.goto("/b/acme/admin/users").await;
    admin.fill("#from", "user-3").await;
    admin.go("Go").await;
    let first = admin.text("#users tbody tr:first-child td.lead").await;
    assert_eq!(first, "user-30@acme.example");
    admin.shots("users-jumped").await;
    admin.viewport(PHONE.0, PHONE.1).await;
    admin.screenshot("users-jumped.phone-top").await;
    admin.close().await;
}
