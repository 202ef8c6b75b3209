//! The dashboard's Webhooks page: an administrator with `webhooks.manage` sees the endpoints,
//! subscribes one (its secret shown once), reads an endpoint's delivery log and replays a
//! delivery; without the permission the page is refused.

use reqwest::StatusCode;
use serde_json::json;

use super::{Receiver, setup};
use crate::helpers::App;
use crate::invitations::PW;

pub(super) async fn the_dashboard_page_subscribes_and_replays(app: App) {
    let (key, receiver, hook) = setup(&app, json!(["users"])).await;
    let hid = hook["id"].as_str().unwrap();
    let (_, group) = app
        .post(
            "/api/v1/groups",
            &key,
            json!({ "name": "Integrations", "type": "business", "permissions": { "business": ["webhooks.manage"] }, "acknowledge_sensitive": true }),
        )
        .await;
    app.invite(&key, "ops@acme.example", &[group["id"].as_str().unwrap()])
        .await;
    app.invite(&key, "lee@acme.example", &[]).await;
    let (mut b, _) = app.accept("ops@acme.example", PW, 1).await;
    let page = b.get("/b/acme/admin/webhooks").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&receiver.url), "{}", page.body);
    assert!(page.body.contains(r#"aria-current="page">Webhooks"#));

    let other = Receiver::start().await;
    let created = b
        .submit(
            "/b/acme/admin/webhooks",
            "/b/acme/admin/webhooks",
            &[
                ("url", &other.url),
                ("event_types", "groups"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert!(
        created.body.contains(r#"value="whsec_"#),
        "{}",
        created.body
    );
    let (_, hooks) = app.get("/api/v1/webhooks", &key).await;
    assert_eq!(hooks.as_array().unwrap().len(), 2);

    let before = receiver.wait_accepted(1, || ()).await.len();
    let (_, log) = app
        .get(&format!("/api/v1/webhooks/{hid}/deliveries"), &key)
        .await;
    let did = log[0]["id"].as_str().unwrap();
    let page = format!("/b/acme/admin/webhooks?log={hid}");
    let shown = b.get(&page).await;
    assert!(
        shown.body.contains("user.created") && shown.body.contains("Replay"),
        "{}",
        shown.body
    );
    let replayed = b
        .submit(
            &page,
            &format!("/b/acme/admin/webhooks/{hid}/deliveries/{did}/replay"),
            &[],
        )
        .await;
    assert_eq!(replayed.status, StatusCode::SEE_OTHER, "{}", replayed.body);
    receiver.wait_accepted(before + 1, || ()).await;

    let (mut lee, _) = app.accept("lee@acme.example", PW, 1).await;
    let refused = lee.get("/b/acme/admin/webhooks").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
