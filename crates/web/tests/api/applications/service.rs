//! Who may manage applications (`applications.manage`; the client credentials grant also
//! `api_keys.manage`), and the service rights of that grant: an internal API key with no
//! more than the caller's rights, not listed or revocable as a key of its own, resolved to
//! the principal the key would be, ended with its grant type or its application. Another
//! business's applications are not found.

use gatehouse_domain::principal::Principal;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{by_client_id, web_app};
use crate::helpers::{App, assert_error};

crate::backend_tests!(permission_required, client_credentials_service, isolation);

fn service_app(grants: Value) -> Value {
    json!({ "name": "Billing sync", "client_type": "confidential", "grant_types": ["client_credentials"],
            "service_permissions": grants })
}

async fn permission_required(app: App) {
    let f = app.fixture("acme").await;
    let business = f.business["id"].as_str().unwrap();
    let (_, created) = app
        .post("/api/v1/applications", &f.admin_key, web_app("Portal"))
        .await;
    let path = format!("/api/v1/applications/{}", created["id"].as_str().unwrap());
    let without = app
        .key_for(
            business,
            json!({ "business": ["users.view", "api_keys.manage", "authz.check"] }),
        )
        .await;
    let denied = |got: (StatusCode, Value)| {
        assert_error(&got, StatusCode::FORBIDDEN, "permission_denied");
        assert_eq!(
            got.1["error"]["details"]["permission"],
            "applications.manage"
        );
    };
    denied(app.get("/api/v1/applications", &without).await);
    denied(
        app.post("/api/v1/applications", &without, web_app("Mine"))
            .await,
    );
    denied(app.get(&path, &without).await);
    denied(app.patch(&path, &without, json!({ "name": "Mine" })).await);
    denied(
        app.post(&format!("{path}/secret"), &without, json!({}))
            .await,
    );
    denied(app.delete(&path, &without).await);

    // `applications.manage` without `api_keys.manage`: sign-in applications yes, service
    // rights no.
    let apps_only = app
        .key_for(
            business,
            json!({ "business": ["applications.manage", "authz.check"] }),
        )
        .await;
    let (status, _) = app
        .post("/api/v1/applications", &apps_only, web_app("Shop"))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let got = app
        .post(
            "/api/v1/applications",
            &apps_only,
            service_app(json!({ "business": ["authz.check"] })),
        )
        .await;
    assert_error(&got, StatusCode::FORBIDDEN, "permission_denied");
    assert_eq!(got.1["error"]["details"]["permission"], "api_keys.manage");
    let got = app
        .patch(
            &path,
            &apps_only,
            json!({ "grant_types": ["authorization_code", "client_credentials"] }),
        )
        .await;
    assert_error(&got, StatusCode::FORBIDDEN, "permission_denied");
    let (_, list) = app.get("/api/v1/applications", &f.admin_key).await;
    assert_eq!(
        list.as_array().unwrap().len(),
        2,
        "the refused one was not written"
    );
}

async fn client_credentials_service(app: App) {
    let f = app.fixture("acme").await;
    let business = f.business["id"].as_str().unwrap();
    // The caller's own rights bound the service's.
    let maker = app
        .key_for(
            business,
            json!({ "business": ["applications.manage", "api_keys.manage", "authz.check"],
                    "live": ["analytics"] }),
        )
        .await;
    let got = app
        .post(
            "/api/v1/applications",
            &maker,
            service_app(json!({ "business": ["users.manage"] })),
        )
        .await;
    assert_error(&got, StatusCode::FORBIDDEN, "would_escalate");
    let got = app
        .post(
            "/api/v1/applications",
            &maker,
            service_app(json!({ "business": ["api_keys.manage"] })),
        )
        .await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sensitive_grant_unacknowledged",
    );
    let grants = json!({ "business": ["authz.check"], "live": ["analytics"], "sandbox": [] });
    let (status, created) = app
        .post("/api/v1/applications", &maker, service_app(grants.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["service_permissions"], grants);
    assert!(
        created["client_secret"]
            .as_str()
            .unwrap()
            .starts_with("gcs_")
    );

    // The service acts as its internal key would.
    let stored = by_client_id(&app, &f, &created["client_id"]).await.unwrap();
    let key_id = stored.service_key_id.expect("a service key");
    let principal = app.gh.service_principal_of(&stored).await.unwrap();
    let Principal::ApiKey {
        id,
        grants: held,
        name,
        ..
    } = &principal
    else {
        panic!("{principal:?}")
    };
    assert_eq!(*id, key_id);
    assert_eq!(name.as_str(), "Billing sync");
    assert_eq!(serde_json::to_value(held.as_ref()).unwrap(), grants);
    assert!(
        principal
            .authorize::<gatehouse_domain::principal::AuthzCheck>()
            .is_ok()
    );
    assert!(
        principal
            .authorize::<gatehouse_domain::principal::UsersView>()
            .is_err()
    );

    // Not an API key of its own: not listed, not revocable apart from its application.
    let (_, keys) = app.get("/api/v1/api-keys", &f.admin_key).await;
    assert!(!keys.to_string().contains(&key_id.to_string()), "{keys}");
    assert_error(
        &app.delete(&format!("/api/v1/api-keys/{key_id}"), &f.admin_key)
            .await,
        StatusCode::NOT_FOUND,
        "api_key_not_found",
    );
    let (_, audit) = app
        .get(
            "/api/v1/audit-events?action=api_key.created&limit=50",
            &f.admin_key,
        )
        .await;
    assert!(
        audit.to_string().contains(&key_id.to_string()),
        "its creation is audited"
    );

    // Renamed, the application's service acts under its new name.
    let path = format!("/api/v1/applications/{}", created["id"].as_str().unwrap());
    let (status, renamed) = app
        .patch(&path, &maker, json!({ "name": "Ledger sync" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    let renamed = by_client_id(&app, &f, &created["client_id"]).await.unwrap();
    assert_eq!(renamed.service_key_id, Some(key_id), "the same key");
    let Principal::ApiKey { name, .. } = app.gh.service_principal_of(&renamed).await.unwrap()
    else {
        panic!("an API key principal")
    };
    assert_eq!(name.as_str(), "Ledger sync");

    // New rights replace the key; dropping the grant type ends it.
    let (status, changed) = app
        .patch(
            &path,
            &maker,
            json!({ "service_permissions": { "business": ["authz.check"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["service_permissions"]["live"], json!([]));
    let replaced = by_client_id(&app, &f, &created["client_id"]).await.unwrap();
    assert_ne!(replaced.service_key_id, Some(key_id));
    assert!(
        app.gh.service_principal_of(&stored).await.is_err(),
        "the old key is revoked"
    );
    assert!(app.gh.service_principal_of(&replaced).await.is_ok());
    let (status, changed) = app
        .patch(
            &path,
            &maker,
            json!({ "grant_types": ["authorization_code"], "redirect_uris": ["https://billing.example.com/cb"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["service_permissions"], Value::Null);
    let web_only = by_client_id(&app, &f, &created["client_id"]).await.unwrap();
    assert_eq!(web_only.service_key_id, None);
    assert_eq!(
        app.gh
            .service_principal_of(&replaced)
            .await
            .unwrap_err()
            .code(),
        "unauthenticated"
    );

    // Deleting an application ends its service at once.
    let (_, again) = app
        .post(
            "/api/v1/applications",
            &maker,
            service_app(json!({ "business": ["authz.check"] })),
        )
        .await;
    let service = by_client_id(&app, &f, &again["client_id"]).await.unwrap();
    assert!(app.gh.service_principal_of(&service).await.is_ok());
    let (status, _) = app
        .delete(
            &format!("/api/v1/applications/{}", again["id"].as_str().unwrap()),
            &maker,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(app.gh.service_principal_of(&service).await.is_err());
    let (_, keys) = app.get("/api/v1/api-keys", &f.admin_key).await;
    let service_key = service.service_key_id.unwrap().to_string();
    assert!(!keys.to_string().contains(&service_key), "{keys}");
}

async fn isolation(app: App) {
    let a = app.fixture("acme").await;
    let b = app.fixture("globex").await;
    let (_, created) = app
        .post("/api/v1/applications", &a.admin_key, web_app("Portal"))
        .await;
    let path = format!("/api/v1/applications/{}", created["id"].as_str().unwrap());
    for got in [
        app.get(&path, &b.admin_key).await,
        app.patch(&path, &b.admin_key, json!({ "name": "Mine" }))
            .await,
        app.post(&format!("{path}/secret"), &b.admin_key, json!({}))
            .await,
        app.delete(&path, &b.admin_key).await,
    ] {
        assert_error(&got, StatusCode::NOT_FOUND, "application_not_found");
    }
    let (_, list) = app.get("/api/v1/applications", &b.admin_key).await;
    assert_eq!(list, json!([]));
    assert!(
        by_client_id(&app, &b, &created["client_id"])
            .await
            .is_none()
    );
    assert!(
        by_client_id(&app, &a, &created["client_id"])
            .await
            .is_some()
    );
}
