//! Issue 8, "one definition of each rule": who the MFA policy covers is decided by the
//! engine alone, so the check, sign-in, the user page, the matrix and the settings page all
//! say the same of a Sandbox-only user and of a Live user without a second factor.

use reqwest::StatusCode;
use serde_json::json;

use crate::browser::Browser;
use crate::helpers::App;
use crate::invitations::PW;
use crate::sessions::{admin_group, live_group};
use crate::sign_in::member;

crate::backend_tests!(sandbox_only_and_live_users_are_told_apart_everywhere);

async fn sandbox_only_and_live_users_are_told_apart_everywhere(app: App) {
    let f = app.fixture("acme").await;
    let admins = admin_group(&app, &f).await;
    let live = live_group(&app, &f).await;
    let (status, g) = app
        .post(
            "/api/v1/groups",
            &f.admin_key,
            json!({ "name": "Testers", "type": "business", "permissions": { "sandbox": ["analytics"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let sandbox = g["id"].as_str().unwrap().to_owned();
    // Grace first, so both can be invited and accept; then the policy bites at once.
    app.patch(
        "/api/v1/settings/security",
        &f.admin_key,
        json!({ "mfa_policy": "live_access", "mfa_grace_days": 1 }),
    )
    .await;
    member(&app, &f, "ada@example.com", &[&admins]).await;
    let (_, sam) = member(&app, &f, "sam@example.com", &[&sandbox]).await;
    let (_, lin) = member(&app, &f, "lin@example.com", &[&live]).await;
    app.clock.advance(time::Duration::days(1));
    let mut admin = Browser::new(&app);
    assert_eq!(
        admin
            .sign_in("acme", "ada@example.com", PW)
            .await
            .location(),
        "/b/acme/admin"
    );
    let tenant = f.tenants[0]["id"].as_str().unwrap();

    // The check.
    let check = |user: &str, env: &str| json!({ "user_id": user, "permission": "analytics", "tenant_id": tenant, "environment": env });
    let (_, d) = app
        .post("/api/v1/authz/check", &f.admin_key, check(&sam, "sandbox"))
        .await;
    assert_eq!(d["allowed"], true, "{d}");
    let (_, d) = app
        .post("/api/v1/authz/check", &f.admin_key, check(&lin, "live"))
        .await;
    assert_eq!(d["reason"], "mfa_required", "{d}");

    // Sign-in: only the Live user must enrol.
    let mut b = Browser::new(&app);
    assert_eq!(
        b.sign_in("acme", "sam@example.com", PW).await.location(),
        "/b/acme/account"
    );
    let mut b = Browser::new(&app);
    assert_eq!(
        b.sign_in("acme", "lin@example.com", PW).await.location(),
        "/b/acme/mfa/enrol"
    );

    // The API's matrix.
    let (_, e) = app
        .get(
            &format!("/api/v1/users/{sam}/effective-permissions"),
            &f.admin_key,
        )
        .await;
    assert_eq!(e["mfa_required_for_live"], false, "{e}");
    let (_, e) = app
        .get(
            &format!("/api/v1/users/{lin}/effective-permissions"),
            &f.admin_key,
        )
        .await;
    assert_eq!(e["mfa_required_for_live"], true, "{e}");
    assert_eq!(e["mfa_blocked"]["live"], true, "{e}");
    assert_eq!(e["mfa_blocked"]["sandbox"], false, "{e}");

    // The user pages.
    let page = admin.get(&format!("/b/acme/admin/users/{sam}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("denies this user's Live access"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("needs MFA"));
    let page = admin.get(&format!("/b/acme/admin/users/{lin}")).await;
    assert!(page.body.contains("denies this user's Live access"));
    assert!(
        page.body.contains("needs MFA"),
        "the Live cell shows it is blocked"
    );

    // The settings page's figures count Live users without MFA: Lin, not Sam (nor Ada).
    let op = gatehouse_domain::principal::Principal::Operator
        .operator()
        .unwrap();
    let business = f.business["id"].as_str().unwrap().parse().unwrap();
    let e = app
        .gh
        .mfa_exposure(&op.in_business::<gatehouse_domain::principal::SettingsManage>(business))
        .await
        .unwrap();
    assert_eq!((e.live_users, e.live_without_mfa), (1, 1), "{e:?}");
}
