//! Applications in the browser: Ada registers a confidential client with every kind of
//! setting (the form's problems first, each beside its field), copies the secret shown
//! once, edits it, rotates its secret (confirmed; the old one stops at once) and deletes it
//! (confirmed). Every page passes axe-core at both sizes.

use gatehouse_domain::application::Application;
use gatehouse_domain::oidc::applications::verify_client_secret;

use crate::driver::{Browser, Driver};
use crate::flows::{business, set_up};
use crate::server::Server;

async fn value(b: &Browser, id: &str) -> String {
    let v = b
        .run(&format!("return document.getElementById('{id}').value"))
        .await;
    v.as_str().unwrap().to_owned()
}

/// The application as the sign-in flows see it.
async fn stored(srv: &Server, client_id: &str) -> Option<Application> {
    let acme = business(srv, "acme").await;
    srv.gh
        .application_by_client_id(acme, client_id)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_edit_rotate_and_delete_an_application() {
    let Some(mut driver) = Driver::start().await else {
        return;
    };
    let srv = Server::start().await;
    let admin = driver.browser(&srv.base).await;
    set_up(&srv, &admin).await;

    admin.go("Applications").await;
    assert!(admin.main_text().await.contains("No applications yet"));
    admin.go("Register an application").await;
    admin.shots("application-new").await;

    // Every problem at once, each beside its field; nothing is registered.
    admin.fill("#name", " ").await;
    admin
        .fill(
            "#redirect_uris",
            "https://portal.example.com/callback\nhttp://portal.example.com/callback",
        )
        .await;
    admin
        .fill(
            "#backchannel_logout_uri",
            "https://portal.example.com/logout#x",
        )
        .await;
    admin.fill("#access_ttl", "0").await;
    admin.submit("#application button[type=submit]").await;
    assert!(admin.text("#name-error").await.starts_with("Name must be"));
    assert!(
        admin.text("#redirect_uris-error").await.contains("https"),
        "{}",
        admin.text("#redirect_uris-error").await
    );
    assert!(
        admin
            .text("#backchannel_logout_uri-error")
            .await
            .contains("fragment")
    );
    assert_eq!(
        admin.text("#access_ttl-error").await,
        "Access token lifetime must be a whole number of minutes, 1 to 60."
    );
    assert!(
        admin
            .text("#form-problems")
            .await
            .contains("4 things to fix")
    );
    admin.shots("application-problems").await;

    // Fixed: a first-party confidential client that also calls the API as a service.
    admin.fill("#name", "Customer portal").await;
    admin
        .fill(
            "#redirect_uris",
            "https://portal.example.com/callback\nhttp://127.0.0.1:8080/callback",
        )
        .await;
    admin
        .fill(
            "#backchannel_logout_uri",
            "https://portal.example.com/logout",
        )
        .await;
    admin.fill("#access_ttl", "5").await;
    admin.click("#scope-4").await; // gatehouse:access
    admin.click("#grant-3").await; // client_credentials
    admin
        .click("input[name=business][value='authz.check']")
        .await;
    admin.click("#require_mfa").await;
    admin.select("#alg", "RS256").await;
    admin.submit("#application button[type=submit]").await;
    assert_eq!(admin.text("h1").await, "Customer portal is registered");
    let client_id = value(&admin, "client_id").await;
    let secret = value(&admin, "client_secret").await;
    assert!(secret.starts_with("gcs_"), "{secret}");
    admin.shots("application-secret").await;

    let app = stored(&srv, &client_id).await.unwrap();
    assert!(verify_client_secret(&app, &secret));
    assert_eq!(app.access_token_ttl, time::Duration::minutes(5));
    assert!(app.require_mfa && app.first_party);
    assert!(app.backchannel_logout_uri.is_some());
    assert_eq!(app.redirect_uris.len(), 2);
    assert!(srv.gh.service_principal_of(&app).await.is_ok());

    admin.go("Done").await;
    let list = admin.text("#applications").await;
    assert!(
        list.contains("Customer portal") && list.contains(&client_id),
        "{list}"
    );
    assert!(
        !admin.main_text().await.contains(&secret[4..]),
        "shown once only"
    );
    admin.shots("applications").await;

    // Edit: the form shows what is stored; a change is saved.
    admin.go("Edit Customer portal").await;
    assert_eq!(value(&admin, "access_ttl").await, "5");
    assert!(
        value(&admin, "redirect_uris")
            .await
            .contains("127.0.0.1:8080")
    );
    admin.shots("application-edit").await;
    admin.fill("#name", "Portal").await;
    admin.click("#first_party").await;
    admin.go("Save application").await;
    assert!(admin.main_text().await.contains("Application saved."));
    let app = stored(&srv, &client_id).await.unwrap();
    assert_eq!(app.name.as_str(), "Portal");
    assert!(!app.first_party);
    assert!(
        verify_client_secret(&app, &secret),
        "saving keeps the secret"
    );

    // Rotate, confirmed: a new secret once, the old one over.
    admin.go("Rotate secret of Portal").await;
    admin.shots("application-rotate").await;
    admin.go("Rotate secret").await;
    let rotated = value(&admin, "client_secret").await;
    assert_ne!(rotated, secret);
    let app = stored(&srv, &client_id).await.unwrap();
    assert!(!verify_client_secret(&app, &secret));
    assert!(verify_client_secret(&app, &rotated));

    // Delete, confirmed.
    admin.go("Done").await;
    admin.go("Delete Portal").await;
    admin.go("Delete Portal").await;
    assert!(admin.main_text().await.contains("Application deleted"));
    assert!(stored(&srv, &client_id).await.is_none());
    admin.close().await;
}
