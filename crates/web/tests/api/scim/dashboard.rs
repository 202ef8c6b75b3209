//! The dashboard's Provisioning page: the SCIM address, the credentials that may provision,
//! the invitation setting, and the latest requests with their errors.

use reqwest::StatusCode;
use serde_json::json;

use super::{get, setup};
use crate::helpers::App;

crate::backend_tests!(provisioning_page);

async fn provisioning_page(app: App) {
    let (f, token) = setup(&app).await;
    let (status, g) = app
        .post(
            "/api/v1/groups",
            &f.admin_key,
            json!({ "name": "Integrators", "type": "business", "acknowledge_sensitive": true,
                    "permissions": { "business": ["api_keys.manage", "settings.manage"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let (mut b, _) =
        crate::sign_in::member(&app, &f, "ops@example.com", &[g["id"].as_str().unwrap()]).await;
    get(&app, "/Users?filter=userName%20zz%20%22x%22", &token)
        .await
        .refused(StatusCode::BAD_REQUEST, Some("invalidFilter"));
    get(&app, "/Users", &token).await;

    let page = b.get("/b/acme/admin/provisioning").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(&format!("{}/scim/v2", app.base)),
        "the SCIM address"
    );
    assert!(
        page.body.contains("test key"),
        "the credential holding scim.provision"
    );
    assert!(
        page.body.contains("GET /scim/v2/Users"),
        "the requests: {}",
        &page.body[page.body.find("Latest requests").unwrap_or(0)..]
    );
    assert!(page.body.contains("invalidFilter"), "with their errors");
    assert!(page.body.contains(r#"value="now" checked"#));

    let res = b
        .submit(
            "/b/acme/admin/provisioning",
            "/b/acme/admin/provisioning",
            &[("invite", "wait")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = b.get("/b/acme/admin/provisioning").await;
    assert!(page.body.contains(r#"value="wait" checked"#));
    assert!(
        app.audit_actions(&f.admin_key)
            .await
            .contains(&"scim.settings_updated".to_owned())
    );
    let id = super::create_user(&app, &token, "waits@example.com", "w1").await;
    assert_eq!(super::api_user(&app, &f, &id).await["status"], "pending");
    let (_, events) = app
        .get("/api/v1/audit-events?action=user.created", &f.admin_key)
        .await;
    assert!(
        events["items"][0]["after"].get("invitation").is_none(),
        "{events}"
    );
}
