//! First start: the one-time setup link creates the first business, tenant and
//! administrator (password, then MFA), who holds every permission; then the link is dead.

use reqwest::{Method, StatusCode};

use crate::browser::Browser;
use crate::helpers::App;
use crate::invitations::PW;

crate::backend_tests!(first_start_setup_link_works_once);

async fn first_start_setup_link_works_once(app: App) {
    let link = app
        .gh
        .prepare_setup()
        .await
        .unwrap()
        .expect("an empty database gets a link");
    let again = app.gh.prepare_setup().await.unwrap().unwrap();
    let path = again[app.base.len()..].to_owned();
    let old = link[app.base.len()..].to_owned();
    let mut b = Browser::new(&app);
    assert_eq!(
        b.get(&old).await.status,
        StatusCode::GONE,
        "a newer link voids the older"
    );

    let weak = b
        .submit(
            &path,
            &path,
            &[
                ("business_name", "Acme Corp"),
                ("business_slug", "acme"),
                ("tenant_name", "United Kingdom"),
                ("tenant_slug", "uk"),
                ("email", "admin@acme.example"),
                ("display_name", "Ada"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        weak.body.contains("Acme Corp"),
        "the form keeps what was typed"
    );
    let res = b
        .submit(
            &path,
            &path,
            &[
                ("business_name", "Acme Corp"),
                ("business_slug", "acme"),
                ("tenant_name", "United Kingdom"),
                ("tenant_slug", "uk"),
                ("email", "admin@acme.example"),
                ("display_name", "Ada"),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(
        res.location(),
        "/b/acme/mfa/enrol",
        "MFA before anything else"
    );
    assert_eq!(
        b.get("/b/acme/account").await.status,
        StatusCode::UNAUTHORIZED
    );
    b.enrol("acme").await;

    // The administrator holds every permission, Live included.
    let groups = b.api(Method::GET, "/api/v1/groups", None, None).await;
    assert_eq!(groups.status, StatusCode::OK, "{}", groups.body);
    let groups: serde_json::Value = serde_json::from_str(&groups.body).unwrap();
    let admin = &groups[0];
    assert_eq!(admin["name"], "Administrators");
    assert_eq!(admin["type"], "business");
    assert!(admin["permissions"]["live"].as_array().unwrap().len() >= 10);
    assert!(
        admin["permissions"]["business"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "api_keys.manage")
    );
    let audit = b
        .api(Method::GET, "/api/v1/audit-events?limit=100", None, None)
        .await;
    for a in [
        "business.created",
        "tenant.created",
        "group.created",
        "group.sensitive_granted",
        "user.created",
        "setup.completed",
        "user.mfa_enrolled",
    ] {
        assert!(audit.body.contains(&format!("\"{a}\"")), "{a} not audited");
    }

    // The link is dead, and no new one is made.
    let dead = Browser::new(&app).get(&path).await;
    assert_eq!(dead.status, StatusCode::GONE);
    assert!(app.gh.prepare_setup().await.unwrap().is_none());
}
