//! Pending users' invitations are visible: when sent and until when the link works, a
//! revoked one and an expired one marked as such in the list and on the user's page, with
//! the way to send a new one.

use crate::driver::Driver;
use crate::flows::{invite, set_up, sign_in};
use crate::server::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitation_state_is_shown() {
    let Some(mut driver) = Driver::start().await else {
        return;
    };
    let srv = Server::start().await;
    let admin = driver.browser(&srv.base).await;
    let app = set_up(&srv, &admin).await;
    invite(&srv, "acme", "lee@acme.example", "Lee Chen").await;
    invite(&srv, "acme", "kim@acme.example", "Kim Park").await;

    admin.goto("/b/acme/admin/users?status=pending").await;
    let list = admin.text("#users").await;
    assert!(list.contains("the link works until"), "{list}");
    admin.go("lee@acme.example").await;
    assert!(
        admin
            .text("#invitation-state")
            .await
            .contains("the link works until")
    );
    admin.click_text("Actions").await;
    admin.go("Revoke invitation").await;
    admin.go("Revoke invitation Lee Chen").await;
    assert!(
        admin
            .text("#invitation-state")
            .await
            .contains("Invitation revoked")
    );

    // A week and a day later Kim's link has expired (and Ada signs in again).
    srv.clock.advance(time::Duration::days(8));
    admin.goto("/b/acme/admin/users?status=pending").await;
    sign_in(&srv, &admin, &app).await;
    let list = admin.text("#users").await;
    assert!(
        list.contains("Revoked") && list.contains("Expired"),
        "{list}"
    );
    admin.shots("users-pending").await;
    admin.go("kim@acme.example").await;
    let state = admin.text("#invitation-state").await;
    assert!(state.contains("the link expired"), "{state}");
    admin.shots("user-invitation-expired").await;
    admin.go("Send a new one").await;
    admin.go("Resend invitation Kim Park").await;
    assert!(
        admin
            .text("#invitation-state")
            .await
            .contains("the link works until")
    );
    admin.close().await;
}
