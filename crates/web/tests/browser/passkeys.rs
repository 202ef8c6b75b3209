//! Passkeys in a real Chromium with its virtual authenticator (the WebDriver WebAuthn
//! extension): the "passkey for Live" policy denies the TOTP-only administrator's Live
//! checks until she adds a passkey from her account page; she then signs in with it alone
//! and uses it as her second factor after the password; removing it takes Live away again.
//! A member's passkey stops working after an administrator's MFA reset.

use gatehouse_domain::authz::{CheckQuery, Reason};
use gatehouse_domain::principal::{AuthzCheck, Principal, UsersView};
use gatehouse_domain::store::UserFilter;
use gatehouse_domain::types::Environment;

use crate::driver::{Browser, Driver};
use crate::flows::{PW, business, invite, set_up};
use crate::server::Server;
use crate::webauthn::Authenticator;

/// Whether `email` may use Live analytics in the first tenant, and the reason.
async fn live_check(srv: &Server, email: &str) -> (bool, Reason) {
    let id = business(srv, "acme").await;
    let op = Principal::Operator.operator().unwrap();
    let users = srv
        .gh
        .list_users(
            &op.in_business::<UsersView>(id),
            &UserFilter::default(),
            None,
            50,
        )
        .await
        .unwrap();
    let user = users
        .items
        .iter()
        .find(|u| u.email.as_str() == email)
        .unwrap()
        .id;
    let tenant = srv.gh.list_business_tenants(&op, id).await.unwrap()[0].id;
    let checks = srv
        .gh
        .checks(&op.in_business::<AuthzCheck>(id))
        .await
        .unwrap();
    let d = checks
        .check(&CheckQuery {
            user,
            permission: "analytics",
            tenant: Some(tenant),
            environment: Some(Environment::Live),
        })
        .unwrap();
    (d.allowed, d.reason)
}

/// Waits until the browser has left `path` (a page that moves on by itself); the new path.
async fn left(b: &Browser, path: &str) -> String {
    for _ in 0..200 {
        let now = b.path().await;
        let loaded = b.run("return document.readyState === 'complete'").await;
        if now != path && loaded == serde_json::Value::Bool(true) {
            return now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("still at {path} after 10 s");
}

/// The passkey form's status line, once it says something.
async fn status_text(b: &Browser) -> String {
    for _ in 0..400 {
        let said = b
            .run("return document.querySelector('#passkey-sign-in [data-passkey-status]').textContent")
            .await;
        if let Some(text) = said.as_str().filter(|t| !t.is_empty()) {
            return text.to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the passkey form said nothing");
}

/// Adds a passkey named `name` from the account page the browser is on.
async fn add_passkey(b: &Browser, name: &str) {
    b.fill("#passkey-name", name).await;
    b.submit("#add-passkey button[type=submit]").await;
}

/// Forgets the session (as a new browser would start) and opens the sign-in page.
async fn sign_out(b: &Browser) {
    b.client.delete_all_cookies().await.unwrap();
    b.goto("/b/acme/sign-in").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passkeys_with_a_virtual_authenticator() {
    let Some(mut driver) = Driver::start().await else {
        return;
    };
    let srv = Server::start().await;
    let ada = driver.browser(&srv.base).await;
    let key = Authenticator::add(&ada).await;
    let totp = set_up(&srv, &ada).await;

    // "Passkey for Live": Ada has only an authenticator app, so her Live checks stop.
    assert!(live_check(&srv, "ada@acme.example").await.0);
    ada.goto("/b/acme/admin/settings").await;
    ada.click("#pk-live").await;
    ada.go("Save settings").await;
    assert!(ada.main_text().await.contains("Security settings saved"));
    assert_eq!(
        live_check(&srv, "ada@acme.example").await,
        (false, Reason::MfaRequired)
    );

    // Her account page says so, and adds a passkey (she signed in moments ago).
    ada.goto("/b/acme/account").await;
    assert!(ada.main_text().await.contains("requires a passkey"));
    ada.shots("account-passkeys").await;
    add_passkey(&ada, "Laptop").await;
    let text = ada.main_text().await;
    assert!(text.contains("Passkey added"), "{text}");
    assert!(ada.text("#passkey-list").await.contains("Laptop"));
    let creds = key.credentials().await;
    assert_eq!(creds.len(), 1, "{creds:?}");
    assert_eq!(creds[0]["isResidentCredential"], true, "discoverable");
    assert!(
        live_check(&srv, "ada@acme.example").await.0,
        "allowed at once"
    );
    assert!(
        srv.mail
            .wait_for("ada@acme.example", "A passkey was added", 1)
            .await
            .is_some()
    );

    // Passwordless, from the email field's autofill (conditional UI): the virtual
    // authenticator answers at once, user verified, and the page signs her in.
    sign_out(&ada).await;
    let path = left(&ada, "/b/acme/sign-in").await;
    assert!(path.starts_with("/b/acme/admin"), "signed in, at {path}");

    // Without user verification Chromium itself offers nothing (the page asks for it):
    // the button says no passkey was used; verified again, the button signs her in.
    key.set_user_verified(false).await;
    sign_out(&ada).await;
    ada.shots("sign-in-with-passkey").await;
    ada.click_text("Sign in with a passkey").await;
    let said = status_text(&ada).await;
    assert!(said.contains("No passkey was used"), "{said}");
    assert_eq!(ada.path().await, "/b/acme/sign-in");
    key.set_user_verified(true).await;
    ada.go("Sign in with a passkey").await;
    let path = ada.path().await;
    assert!(path.starts_with("/b/acme/admin"), "signed in, at {path}");

    // As the second factor: password, then the passkey instead of a code. (Unverified
    // meanwhile, so the sign-in page's autofill does not sign her in first.)
    key.set_user_verified(false).await;
    sign_out(&ada).await;
    ada.fill("#email", "ada@acme.example").await;
    ada.fill("#password", PW).await;
    ada.go("Sign in").await;
    assert_eq!(ada.path().await, "/b/acme/mfa");
    ada.shots("mfa-passkey").await;
    key.set_user_verified(true).await;
    ada.go("Use a passkey").await;
    let path = ada.path().await;
    assert!(path.starts_with("/b/acme/admin"), "signed in, at {path}");

    // Removing it (her app stays, so MFA stays): Live is denied again.
    ada.goto("/b/acme/account").await;
    ada.go("Remove passkey Laptop").await;
    assert!(ada.main_text().await.contains("Passkey removed"));
    assert!(ada.main_text().await.contains("You have no passkeys"));
    assert_eq!(
        live_check(&srv, "ada@acme.example").await,
        (false, Reason::MfaRequired)
    );
    let _ = totp;

    // Bea's passkey, then an administrator's MFA reset: it signs in no more.
    invite(&srv, "acme", "bea@acme.example", "Bea Ortiz").await;
    let bea = driver.browser(&srv.base).await;
    let bea_key = Authenticator::add(&bea).await;
    bea.goto(&srv.mailed_link("bea@acme.example", "invited", 1).await)
        .await;
    bea.fill("#password", "quiet harbour lanterns glow").await;
    bea.submit("button[type=submit]").await;
    assert_eq!(bea.path().await, "/b/acme/account", "no MFA asked of her");
    add_passkey(&bea, "Phone").await;
    assert!(
        bea.main_text().await.contains("recovery codes"),
        "her first factor"
    );
    assert_eq!(bea_key.credentials().await.len(), 1);
    ada.goto("/b/acme/admin/users").await;
    ada.go("bea@acme.example").await;
    ada.click_text("Actions").await;
    ada.go("Reset MFA").await;
    assert!(ada.main_text().await.contains("passkeys"));
    ada.go("Reset MFA Bea Ortiz").await;
    bea.goto("/b/acme/account").await;
    // Her session ended: the sign-in page, whose autofill offers her passkey at once.
    let path = left(&bea, "/b/acme/sign-in").await;
    assert_eq!(path, "/b/acme/sign-in/passkey");
    let text = bea.main_text().await;
    assert!(text.contains("not registered here"), "{text}");
    bea.go("Sign in with a passkey").await;
    let text = bea.main_text().await;
    assert!(text.contains("not registered here"), "{text}");
}
