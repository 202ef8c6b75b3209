//! Form errors a person can act on: every problem of a submitted form at once, each beside
//! its field (marked invalid and described by its message), in words that name the field as
//! the page does — never a developer's field key like `name:`.

use crate::driver::{Browser, Driver};
use crate::flows::{PW, enrol};
use crate::server::Server;

/// The ids of the fields marked invalid, and every message shown beside a field.
async fn problems(b: &Browser) -> (Vec<String>, Vec<String>) {
    let found = b
        .run(
            "return [[...document.querySelectorAll('[aria-invalid=true]')].map(e => e.id),
                     [...document.querySelectorAll('.field-error')].map(e => e.textContent.trim())]",
        )
        .await;
    serde_json::from_value(found).unwrap()
}

fn no_field_keys(messages: &[String]) {
    for m in messages {
        for key in [
            "name:",
            "slug:",
            "email:",
            "mfa_grace_days",
            "password:",
            "display_name",
        ] {
            assert!(!m.contains(key), "a developer's field key in {m:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_problem_at_once_beside_its_field() {
    let Some(mut driver) = Driver::start().await else {
        return;
    };
    let srv = Server::start().await;
    let admin = driver.browser(&srv.base).await;
    let link = srv.gh.prepare_setup().await.unwrap().unwrap();
    admin.goto(&link).await;
    for (field, value) in [
        ("#business_name", "Acme Corp"),
        ("#business_slug", "Acme Corp"),
        ("#tenant_name", "United Kingdom"),
        ("#tenant_slug", "u"),
        ("#email", "ada@acme"),
        ("#display_name", "Ada Lovelace"),
        ("#password", "short"),
    ] {
        admin.fill(field, value).await;
    }
    admin.submit("button[type=submit]").await;
    let (invalid, messages) = problems(&admin).await;
    assert_eq!(
        invalid,
        ["business_slug", "tenant_slug", "email", "password"],
        "{messages:?}"
    );
    assert!(
        messages[0].starts_with("Business short name"),
        "{messages:?}"
    );
    assert!(messages[1].starts_with("Tenant short name"), "{messages:?}");
    no_field_keys(&messages);
    let summary = admin.text("#form-problems").await;
    assert!(summary.contains("4 things to fix"), "{summary}");
    admin.shots("setup-problems").await;
    for (field, value) in [
        ("#business_slug", "acme"),
        ("#tenant_slug", "uk"),
        ("#email", "ada@acme.example"),
        ("#password", PW),
    ] {
        admin.fill(field, value).await;
    }
    admin.submit("button[type=submit]").await;
    enrol(&srv, &admin).await;

    // Inviting: a bad email and an overlong name, both at once.
    admin.goto("/b/acme/admin/users/new").await;
    admin.fill("#email", "dana.example").await;
    // Past the field's own maxlength, as a client without it would send.
    admin
        .run("document.querySelector('#name').value = 'D'.repeat(300); return null")
        .await;
    admin.go("Send invitation").await;
    let (invalid, messages) = problems(&admin).await;
    assert_eq!(invalid, ["email", "name"], "{messages:?}");
    no_field_keys(&messages);
    admin.shots("invite-problems").await;

    // The grace period, in words.
    admin.goto("/b/acme/admin/settings").await;
    admin.fill("#grace", "120").await;
    admin.go("Save settings").await;
    let (invalid, messages) = problems(&admin).await;
    assert_eq!(invalid, ["grace"]);
    assert_eq!(
        messages,
        ["Grace period must be a whole number of days from 0 to 90."]
    );

    // A group without a name, of type Tenants without a tenant.
    admin.goto("/b/acme/admin/groups/new").await;
    admin.click("#kind-tenants").await;
    admin.go("Create group").await;
    let (invalid, messages) = problems(&admin).await;
    assert_eq!(invalid, ["name"], "{messages:?}");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("Pick at least one tenant")),
        "{messages:?}"
    );
    no_field_keys(&messages);
    admin.close().await;
}
