//! The effective-permissions matrix, who-can, and sensitive grants.

use reqwest::StatusCode;
use serde_json::json;

use super::Table;
use crate::helpers::{App, assert_error};

crate::backend_tests!(
    effective_permissions_and_who_can,
    sensitive_grants_need_acknowledgement
);

async fn effective_permissions_and_who_can(app: App) {
    let t = Table::new(&app).await;
    let (eu, us) = (t.tenant(0).to_owned(), t.tenant(1).to_owned());
    let all = t.group(&app, json!({ "name": "Everyone", "type": "business", "permissions": { "live": ["analytics"], "business": ["users.view"] } })).await;
    let eu_g = t.group(&app, json!({ "name": "EU", "type": "tenants", "tenant_ids": [eu], "permissions": { "sandbox": ["flow_builder"], "live": ["analytics"] } })).await;
    let a = t.user(&app, "a@acme.com", &[&all, &eu_g], true).await;
    let b = t.user(&app, "b@acme.com", &[&all], true).await;
    t.user(&app, "c@acme.com", &[&eu_g], false).await;
    let k = &t.f.admin_key;
    let (status, m) = app
        .get(
            &format!(
                "/api/v1/users/{}/effective-permissions",
                a["id"].as_str().unwrap()
            ),
            k,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{m}");
    assert_eq!(m["active"], true);
    assert_eq!(
        m["business"],
        json!([{ "permission": "users.view", "groups": [{ "id": all, "name": "Everyone" }] }])
    );
    let tenant = |id: &str| {
        m["tenants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["tenant_id"] == id)
            .unwrap()
            .clone()
    };
    let eu_row = tenant(&eu);
    assert_eq!(eu_row["live"][0]["permission"], "analytics");
    assert_eq!(eu_row["live"][0]["groups"].as_array().unwrap().len(), 2);
    assert_eq!(
        eu_row["sandbox"],
        json!([{ "permission": "flow_builder", "groups": [{ "id": eu_g, "name": "EU" }] }])
    );
    assert_eq!(tenant(&us)["sandbox"], json!([]));
    assert_error(
        &app.get(
            "/api/v1/users/00000000-0000-7000-8000-000000000000/effective-permissions",
            k,
        )
        .await,
        StatusCode::NOT_FOUND,
        "user_not_found",
    );

    let (status, page) = app
        .get(
            &format!(
                "/api/v1/authz/who-can?permission=analytics&tenant={eu}&environment=live&limit=1"
            ),
            k,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = app.get(&format!("/api/v1/authz/who-can?permission=analytics&tenant={eu}&environment=live&limit=1&cursor={cursor}"), k).await;
    let mut emails = vec![
        page["items"][0]["email"].as_str().unwrap().to_owned(),
        rest["items"][0]["email"].as_str().unwrap().to_owned(),
    ];
    emails.sort();
    assert_eq!(emails, ["a@acme.com", "b@acme.com"]);
    assert!(rest["next_cursor"].is_null());
    let (_, sandbox) = app
        .get(
            &format!(
                "/api/v1/authz/who-can?permission=flow_builder&tenant={eu}&environment=sandbox"
            ),
            k,
        )
        .await;
    assert_eq!(
        sandbox["items"].as_array().unwrap().len(),
        1,
        "the pending user does not count"
    );
    let _ = b;
    assert_error(
        &app.get("/api/v1/authz/who-can?permission=nope", k).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_permission",
    );
    assert_error(
        &app.get("/api/v1/authz/who-can?permission=analytics", k)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "tenant_required",
    );
}

async fn sensitive_grants_need_acknowledgement(app: App) {
    let t = Table::new(&app).await;
    let k = &t.f.admin_key;
    let body = json!({ "name": "Deleters", "type": "business", "permissions": { "live": ["verification.delete", "analytics"] } });
    let refused = app.post("/api/v1/groups", k, body.clone()).await;
    assert_error(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sensitive_grant_unacknowledged",
    );
    assert_eq!(
        refused.1["error"]["details"]["permissions"],
        json!(["live:verification.delete"])
    );
    let mut acked = body.clone();
    acked["acknowledge_sensitive"] = json!(true);
    let (status, g) = app.post("/api/v1/groups", k, acked).await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let gid = g["id"].as_str().unwrap();
    let (_, events) = app
        .get(&format!("/api/v1/audit-events?target={gid}"), k)
        .await;
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"group.sensitive_permission_granted")
            && actions.contains(&"group.created"),
        "{actions:?}"
    );
    // Adding another sensitive permission later needs it again; non-sensitive changes do not.
    assert_error(
        &app.patch(
            &format!("/api/v1/groups/{gid}"),
            k,
            json!({ "permissions": { "live": ["verification.delete", "verification.export"] } }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sensitive_grant_unacknowledged",
    );
    assert_eq!(
        app.patch(
            &format!("/api/v1/groups/{gid}"),
            k,
            json!({ "permissions": { "live": ["verification.delete"] } })
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_error(
        &app.post(
            "/api/v1/api-keys",
            k,
            json!({ "name": "dev", "permissions": { "sandbox": ["developer_area"] } }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sensitive_grant_unacknowledged",
    );
    let (status, _) = app.post("/api/v1/api-keys", k, json!({ "name": "dev", "permissions": { "sandbox": ["developer_area"] }, "acknowledge_sensitive": true })).await;
    assert_eq!(status, StatusCode::CREATED);
}
