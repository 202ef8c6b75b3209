//! Operator routes: businesses and tenants.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{App, OPERATOR, assert_error};

crate::backend_tests!(
    businesses_crud,
    tenants_crud_and_in_use,
    operator_routes_refuse_business_keys,
    health_and_request_ids
);

async fn businesses_crud(app: App) {
    let (status, b) = app
        .post(
            "/api/v1/businesses",
            OPERATOR,
            json!({ "name": "Acme Corp", "slug": "acme" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = b["id"].as_str().unwrap();
    assert_error(
        &app.post(
            "/api/v1/businesses",
            OPERATOR,
            json!({ "name": "Other", "slug": "acme" }),
        )
        .await,
        StatusCode::CONFLICT,
        "business_slug_taken",
    );
    assert_error(
        &app.post(
            "/api/v1/businesses",
            OPERATOR,
            json!({ "name": "Bad", "slug": "Bad Slug" }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_slug",
    );
    assert_error(
        &app.post(
            "/api/v1/businesses",
            OPERATOR,
            json!({ "name": " ", "slug": "blank" }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_name",
    );
    let (status, renamed) = app
        .patch(
            &format!("/api/v1/businesses/{id}"),
            OPERATOR,
            json!({ "name": "Acme Inc" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(renamed["name"], "Acme Inc");
    let (_, got) = app.get(&format!("/api/v1/businesses/{id}"), OPERATOR).await;
    assert_eq!(got["name"], "Acme Inc");
    for i in 0..3 {
        app.post(
            "/api/v1/businesses",
            OPERATOR,
            json!({ "name": "n", "slug": format!("biz{i}") }),
        )
        .await;
    }
    let (_, page) = app.get("/api/v1/businesses?limit=3", OPERATOR).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get(
            &format!("/api/v1/businesses?limit=3&cursor={cursor}"),
            OPERATOR,
        )
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());
    assert_error(
        &app.get(
            "/api/v1/businesses/00000000-0000-7000-8000-000000000000",
            OPERATOR,
        )
        .await,
        StatusCode::NOT_FOUND,
        "business_not_found",
    );
}

async fn tenants_crud_and_in_use(app: App) {
    let f = app.fixture("acme").await;
    let b = f.business["id"].as_str().unwrap();
    let eu = f.tenants[0]["id"].as_str().unwrap();
    assert_error(
        &app.post(
            &format!("/api/v1/businesses/{b}/tenants"),
            OPERATOR,
            json!({ "name": "x", "slug": "eu" }),
        )
        .await,
        StatusCode::CONFLICT,
        "tenant_slug_taken",
    );
    let (status, t) = app
        .patch(
            &format!("/api/v1/businesses/{b}/tenants/{eu}"),
            OPERATOR,
            json!({ "name": "Europe" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(t["name"], "Europe");
    let (status, g) = app
        .post(
            "/api/v1/groups",
            &f.admin_key,
            json!({ "name": "EU", "type": "tenants", "tenant_ids": [eu] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let in_use = app
        .delete(&format!("/api/v1/businesses/{b}/tenants/{eu}"), OPERATOR)
        .await;
    assert_error(&in_use, StatusCode::CONFLICT, "tenant_in_use");
    assert_eq!(in_use.1["error"]["details"]["groups"], 1);
    let gid = g["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/api/v1/groups/{gid}"), &f.admin_key)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete(&format!("/api/v1/businesses/{b}/tenants/{eu}"), OPERATOR)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (_, list) = app
        .get(&format!("/api/v1/businesses/{b}/tenants"), OPERATOR)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, own) = app.get("/api/v1/tenants", &f.admin_key).await;
    assert_eq!(own.as_array().unwrap().len(), 1);
}

async fn operator_routes_refuse_business_keys(app: App) {
    let f = app.fixture("acme").await;
    assert_error(
        &app.get("/api/v1/businesses", &f.admin_key).await,
        StatusCode::FORBIDDEN,
        "operator_only",
    );
    assert_error(
        &app.post(
            "/api/v1/businesses",
            &f.admin_key,
            json!({ "name": "x", "slug": "xx" }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "operator_only",
    );
    assert_error(
        &app.get("/api/v1/users", OPERATOR).await,
        StatusCode::FORBIDDEN,
        "permission_denied",
    );
}

async fn health_and_request_ids(app: App) {
    let res = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("x-request-id").is_some());
    let res = app
        .client
        .get(format!("{}/readyz", app.base))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    let (status, doc) = crate::helpers::read(
        app.client
            .get(format!("{}/api/v1/openapi.json", app.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
}
