//! A full access review in the browser: an administrator makes Rita the owner of a group on
//! its members tab and starts a review from the Access reviews page; Rita removes Mo from
//! her worklist, and Mo's very next check is denied; the administrator closes the review
//! and downloads its report.

use reqwest::Method;
use serde_json::{Value, json};

use crate::driver::{Browser, Driver};
use crate::flows::{PW, call};
use crate::server::Server;

/// Signs `email` in with the password alone (the business's MFA policy is off).
async fn sign_in(b: &Browser, email: &str) {
    b.goto("/b/acme/sign-in").await;
    b.fill("#email", email).await;
    b.fill("#password", PW).await;
    b.go("Sign in").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_removes_a_member_whose_next_check_is_denied_and_reports() {
    let Some(mut driver) = Driver::start().await else {
        return;
    };
    let srv = Server::start().await;
    let business = srv
        .operator(
            "/api/v1/businesses",
            json!({ "name": "Acme Corp", "slug": "acme" }),
        )
        .await;
    let id = business["id"].as_str().unwrap();
    let tenant = srv
        .operator(
            &format!("/api/v1/businesses/{id}/tenants"),
            json!({ "name": "United Kingdom", "slug": "uk" }),
        )
        .await;
    let admin_rights = json!([
        "users.view",
        "users.manage",
        "groups.manage",
        "audit.view",
        "reviews.manage",
        "settings.manage",
        "authz.check"
    ]);
    let key = srv
        .operator(
            &format!("/api/v1/businesses/{id}/api-keys"),
            json!({ "name": "setup", "acknowledge_sensitive": true,
                    "permissions": { "business": admin_rights, "live": ["analytics"] } }),
        )
        .await;
    let key = key["token"].as_str().unwrap();
    call(
        &srv,
        Method::PATCH,
        "/api/v1/settings/security",
        key,
        json!({ "mfa_policy": "off" }),
    )
    .await;
    let admins = call(
        &srv,
        Method::POST,
        "/api/v1/groups",
        key,
        json!({ "name": "Administrators", "type": "business", "acknowledge_sensitive": true,
                "permissions": { "business": admin_rights } }),
    )
    .await;
    let analysts = call(
        &srv,
        Method::POST,
        "/api/v1/groups",
        key,
        json!({ "name": "Analysts", "type": "business", "permissions": { "live": ["analytics"] } }),
    )
    .await;
    for (email, groups) in [
        ("ada@example.com", json!([admins["id"]])),
        ("rita@example.com", json!([])),
        ("mo@example.com", json!([analysts["id"]])),
    ] {
        call(
            &srv,
            Method::POST,
            "/api/v1/users",
            key,
            json!({ "email": email, "group_ids": groups }),
        )
        .await;
        srv.accept_invitation(email, PW).await.unwrap();
    }
    let mo = call(
        &srv,
        Method::GET,
        "/api/v1/users?q=mo%40example.com",
        key,
        Value::Null,
    )
    .await;
    let mo = mo["items"][0]["id"].clone();
    let check = json!({ "user_id": mo, "permission": "analytics",
                        "tenant_id": tenant["id"], "environment": "live" });
    let d = call(
        &srv,
        Method::POST,
        "/api/v1/authz/check",
        key,
        check.clone(),
    )
    .await;
    assert_eq!(d["allowed"], true, "{d}");

    // Ada makes Rita the owner of Analysts, on its members tab.
    let ada = driver.browser(&srv.base).await;
    sign_in(&ada, "ada@example.com").await;
    let group = analysts["id"].as_str().unwrap();
    ada.goto(&format!("/b/acme/admin/groups/{group}/members"))
        .await;
    ada.fill("#owner-email", "rita@example.com").await;
    ada.go("Add owner").await;
    assert!(ada.text("#owners").await.contains("rita@example.com"));
    ada.shots("review-group-owners").await;

    // Ada starts a review of Analysts, reviewed by its owner.
    ada.goto("/b/acme/admin/access-reviews").await;
    ada.shots("review-start").await;
    ada.fill("#name", "Q4 access review").await;
    // A form with two problems comes back with both beside their fields, what was typed kept.
    ada.click("#scope-groups").await;
    ada.fill("#reviewers", "nobody@example.com").await;
    ada.go("Start review").await;
    assert_eq!(ada.path().await, "/b/acme/admin/access-reviews");
    let scope = ada.text("#scope-error").await;
    assert!(scope.contains("Tick at least one group"), "{scope}");
    let reviewers = ada.text("#reviewers-error").await;
    assert!(reviewers.contains("nobody@example.com"), "{reviewers}");
    assert!(ada.exists("#form-problems").await, "listed at the top too");
    let kept = ada
        .run("return [document.querySelector('#name').value, document.querySelector('#scope-groups').checked]")
        .await;
    assert_eq!(kept, json!(["Q4 access review", true]));
    ada.shots("review-start-problems").await;
    ada.fill("#reviewers", "").await;
    ada.click(&format!("#group-{group}")).await;
    ada.go("Start review").await;
    assert!(ada.main_text().await.contains("reviewers have been mailed"));
    let review_path = ada.path().await;
    assert!(
        review_path.starts_with("/b/acme/admin/access-reviews/"),
        "{review_path}"
    );
    let items = ada.text("#review-items").await;
    assert!(items.contains("mo@example.com"), "{items}");
    assert!(
        items.contains("rita@example.com"),
        "the reviewer by name: {items}"
    );
    let mail = srv
        .mailed_link("rita@example.com", "Access review", 1)
        .await;
    assert_eq!(mail, review_path, "the mail leads to the review");

    // Rita's worklist: Mo in Analysts, with what it grants; she removes him.
    let rita = driver.browser(&srv.base).await;
    sign_in(&rita, "rita@example.com").await;
    rita.goto("/b/acme/admin/access-reviews").await;
    let items = rita.text("#items").await;
    assert!(
        items.contains("mo@example.com") && items.contains("live: analytics"),
        "{items}"
    );
    assert!(
        !rita.exists("#start").await,
        "reviewers do not start reviews"
    );
    rita.shots("review-worklist").await;
    rita.fill("form.decide input[name=comment]", "Left the analytics team")
        .await;
    rita.submit("form.decide button[value=remove]").await;
    assert!(rita.main_text().await.contains("Membership removed"));
    assert!(rita.main_text().await.contains("Nothing to review"));

    // Mo's very next check is denied.
    let d = call(&srv, Method::POST, "/api/v1/authz/check", key, check).await;
    assert_eq!(d["allowed"], false, "{d}");
    assert_eq!(d["reason"], "no_grant", "{d}");

    // Ada closes the review; the report downloads as CSV.
    ada.goto(&review_path).await;
    assert!(
        ada.text("#review-items")
            .await
            .contains("Left the analytics team")
    );
    ada.go("Close the review").await;
    assert!(ada.main_text().await.contains("report is stored"));
    ada.shots("review-closed").await;
    assert!(ada.exists("#exports a[href$='report.csv']").await);
    // The download, as the browser would fetch it: with Ada's session cookie.
    let cookies: Vec<String> = ada
        .client
        .get_all_cookies()
        .await
        .unwrap()
        .iter()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect();
    let res = reqwest::Client::new()
        .get(format!("{}{review_path}/report.csv", srv.base))
        .header("cookie", cookies.join("; "))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.contains("attachment"), "{disposition}");
    let body = res.text().await.unwrap();
    assert!(body.starts_with("review,group_id,group,"), "{body}");
    assert!(
        body.contains("mo@example.com")
            && body.contains(",remove,Left the analytics team,rita@example.com,"),
        "{body}"
    );
    rita.close().await;
    ada.close().await;
}
