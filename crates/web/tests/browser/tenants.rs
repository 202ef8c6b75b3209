//! Tenants in the browser: a business administrator lists, adds and renames tenants where
//! the operator allows it (the short name's pattern is checked by the browser itself); the
//! operator console signs in with the operator token, creates a business with a tenant,
//! renames it and invites the business's first administrator.

use gatehouse_web::WebConfig;

use crate::driver::{Browser, Driver};
use crate::flows::set_up;
use crate::server::{OPERATOR, Server};

/// Whether the browser's own validation accepts `value` in `field`.
async fn valid(b: &Browser, field: &str, value: &str) -> bool {
    b.fill(field, value).await;
    b.run(&format!(
        "return document.querySelector('{field}').checkValidity()"
    ))
    .await
    .as_bool()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_page_and_operator_console() {
    let Some(mut driver) = Driver::start().await else {
        return;
    };
    let srv = Server::start_with(WebConfig {
        business_tenants: true,
        ..WebConfig::default()
    })
    .await;
    let admin = driver.browser(&srv.base).await;
    set_up(&srv, &admin).await;

    admin.go("Tenants").await;
    assert!(admin.text("#tenants").await.contains("United Kingdom"));
    for (bad, why) in [
        ("DE", "capitals"),
        ("de-", "trailing -"),
        ("1de", "digit first"),
        ("d", "one letter"),
    ] {
        assert!(!valid(&admin, "#slug", bad).await, "{bad}: {why}");
    }
    assert!(valid(&admin, "#slug", "de").await);
    admin.fill("#name", "Germany").await;
    admin.go("Add tenant").await;
    assert!(admin.main_text().await.contains("Tenant added"));
    assert!(admin.text("#tenants").await.contains("Germany"));
    admin.go("Rename Germany").await;
    admin.fill("#name", "Deutschland").await;
    admin.go("Save name").await;
    assert!(admin.main_text().await.contains("Tenant renamed."));
    assert!(admin.text("#tenants").await.contains("Deutschland"));
    admin.shots("tenants").await;

    // The operator console.
    let op = driver.browser(&srv.base).await;
    op.goto("/operator").await;
    op.shots("operator-sign-in").await;
    op.fill("#token", "gho_not-the-token").await;
    op.go("Sign in").await;
    assert!(
        op.text("#token-error")
            .await
            .contains("not the operator token")
    );
    op.shots("operator-sign-in-problem").await;
    op.fill("#token", OPERATOR).await;
    op.go("Sign in").await;
    assert!(op.text("#businesses").await.contains("Acme Corp"));
    // Every problem at once, beside its field.
    op.fill("#name", " ").await;
    op.fill("#slug", "Globex").await;
    op.go("Create business").await;
    assert!(op.text("#name-error").await.starts_with("Name"));
    assert!(op.text("#slug-error").await.starts_with("Short name"));
    assert!(op.text("#form-problems").await.contains("2 things to fix"));
    op.shots("operator-problems").await;
    op.fill("#name", "Globex").await;
    op.fill("#slug", "globex").await;
    op.go("Create business").await;
    assert_eq!(op.text("h1").await, "Globex");
    op.fill("#tenant-name", "Paris").await;
    op.fill("#tenant-slug", "paris").await;
    op.go("Add tenant").await;
    assert!(op.main_text().await.contains("Tenant added."));
    op.fill("#tenants input[name=name]", "Île-de-France").await;
    op.go("Rename paris").await;
    assert!(op.main_text().await.contains("Tenant renamed."));
    op.fill("#email", "hank@globex.example").await;
    op.fill("#display_name", "Hank Scorpio").await;
    op.go("Send invitation").await;
    assert!(op.main_text().await.contains("Invitation sent."));
    let link = srv.mailed_link("hank@globex.example", "invited", 1).await;
    assert!(link.starts_with("/b/globex/invitation/"), "{link}");
    op.shots("operator-business").await;
    op.go("← All businesses").await;
    op.shots("operator-businesses").await;
    op.go("Sign out of the console").await;
    assert!(op.exists("#token").await, "signed out");
    op.close().await;
    admin.close().await;
}
