//! The pages of mailed links and the account page: the invitation names the account in a
//! labelled, read-only username field (for password managers; no stray editable box); an
//! administrator's password reset mails a link whose page is a reset page (not the
//! invitation's), names the account, and the mail says the old password no longer works.

use crate::driver::Driver;
use crate::flows::{invite, set_up, unlabelled_fields};
use crate::server::Server;

const DANA_PW: &str = "amber lantern drifts slowly";
const NEW_PW: &str = "copper harbour sings twice";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitation_reset_and_account_pages_name_the_account() {
    let Some(mut driver) = Driver::start().await else {
        return;
    };
    let srv = Server::start().await;
    let admin = driver.browser(&srv.base).await;
    set_up(&srv, &admin).await;
    invite(&srv, "acme", "dana@acme.example", "Dana Scully").await;

    let dana = driver.browser(&srv.base).await;
    dana.goto(&srv.mailed_link("dana@acme.example", "invited", 1).await)
        .await;
    assert_eq!(dana.text("label[for=username]").await, "Email");
    let username = dana.find("#username").await;
    assert_eq!(
        username.prop("value").await.unwrap().unwrap(),
        "dana@acme.example"
    );
    assert!(username.attr("readonly").await.unwrap().is_some());
    assert_eq!(unlabelled_fields(&dana).await, Vec::<String>::new());
    dana.shots("invitation").await;
    dana.fill("#password", DANA_PW).await;
    dana.submit("button[type=submit]").await;
    dana.goto("/b/acme/account").await;
    assert_eq!(unlabelled_fields(&dana).await, Vec::<String>::new());
    dana.shots("account").await;
    // The password form: every problem at once, beside its field, in both frames.
    for home in ["/b/acme/account", "/b/acme/admin/profile"] {
        dana.goto(home).await;
        dana.fill("#current", "not my password").await;
        dana.fill("#new", "short").await;
        dana.go("Change password").await;
        assert!(
            dana.text("#current-error").await.contains("not correct"),
            "{home}"
        );
        assert!(dana.text("#new-error").await.contains("at least"), "{home}");
    }
    dana.shots("profile-problems").await;
    dana.goto("/b/acme/account").await;
    dana.fill("#current", "not my password").await;
    dana.go("Change password").await;
    dana.shots("account-problems").await;

    // The administrator resets Dana's password.
    admin.goto("/b/acme/admin/users?q=dana").await;
    admin.go("dana@acme.example").await;
    admin.click_text("Actions").await;
    admin.go("Reset password").await;
    admin.go("Reset password Dana Scully").await;
    let mail = srv
        .mail
        .wait_for("dana@acme.example", "Reset your", 1)
        .await
        .unwrap();
    assert!(!mail.data.contains("stays as it is"), "{}", mail.data);
    let link = srv.mailed_link("dana@acme.example", "Reset your", 1).await;
    dana.goto(&link).await;
    assert_eq!(dana.text("h1").await, "Choose a new password");
    let text = dana.main_text().await;
    assert!(!text.contains("invited"), "{text}");
    assert!(text.contains("dana@acme.example"), "{text}");
    assert_eq!(unlabelled_fields(&dana).await, Vec::<String>::new());
    dana.shots("reset-password").await;
    dana.fill("#password", NEW_PW).await;
    dana.submit("button[type=submit]").await;
    assert!(dana.main_text().await.contains("Your new password is set"));
    dana.shots("password-changed").await;
    admin.close().await;
    dana.close().await;
}
