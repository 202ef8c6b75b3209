//! No dead ends: an unknown address inside the dashboard answers a 404 page in the
//! dashboard's frame (navigation and all), an unknown user id says so and leads back to
//! Users, an unknown address elsewhere gets a plain page leading to the start; and
//! administrators are warned, with nothing saved, before they take away their own rights.

use crate::driver::Driver;
use crate::flows::set_up;
use crate::server::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pages_and_self_lockout_warnings() {
    let Some(mut driver) = Driver::start().await else {
        return;
    };
    let srv = Server::start().await;
    let admin = driver.browser(&srv.base).await;
    set_up(&srv, &admin).await;

    admin.goto("/b/acme/admin/no-such-page").await;
    assert_eq!(admin.text("h1").await, "Page not found");
    assert!(
        admin.exists("nav.side a[href$='/admin/users']").await,
        "in the frame"
    );
    admin.shots("not-found").await;

    for id in ["0190f5a4-0000-7000-8000-000000000000", "not-an-id"] {
        admin.goto(&format!("/b/acme/admin/users/{id}")).await;
        assert_eq!(admin.text("h1").await, "Not found");
        assert!(admin.main_text().await.contains("no such user"));
        admin.go("Back to Users").await;
        assert_eq!(admin.path().await, "/b/acme/admin/users");
    }

    admin.goto("/no/such/thing").await;
    assert_eq!(admin.text("h1").await, "Page not found");
    admin.go("Go to the start page").await;
    assert_eq!(admin.path().await, "/");

    // Ada edits herself out of Administrators: first a warning, and nothing changes.
    admin.goto("/b/acme/admin/users").await;
    admin.go("ada@acme.example").await;
    admin.go("Change groups").await;
    admin.click_text("Administrators").await;
    admin.go("Save user").await;
    let warning = admin.text("#self-warning").await;
    assert!(
        warning.contains("your own administration rights") && warning.contains("Manage users"),
        "{warning}"
    );
    admin.shots("self-lockout-warning").await;
    admin.goto("/b/acme/admin/users").await;
    assert!(
        admin.text("#users").await.contains("Administrators"),
        "nothing was saved"
    );
    // Confirmed, the last administrator is still refused, in words.
    admin.go("ada@acme.example").await;
    admin.go("Change groups").await;
    admin.click_text("Administrators").await;
    admin.go("Save user").await;
    admin.click("#confirm_self").await;
    admin.go("Save user").await;
    let refused = admin.text("#form-error").await;
    assert!(
        refused.contains("without an active administrator"),
        "{refused}"
    );

    // Leaving the group from its members tab warns the same way.
    admin.goto("/b/acme/admin/groups").await;
    admin.go("Administrators").await;
    admin.go("Members (1)").await;
    admin.go("Remove ada@acme.example").await;
    assert!(admin.exists("#self-warning").await);
    assert!(admin.exists("#confirm_self[required]").await);
    admin.close().await;
}
