//! The OpenAPI document is generated from the code; this snapshot catches unintended changes.
//! After an intended change, regenerate with
//! `UPDATE_SNAPSHOTS=1 cargo test -p gatehouse-web --test api openapi`. What the document
//! promises is checked against a real server by `scripts/contract-test.sh`.

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::App;

#[test]
fn openapi_document_matches_snapshot() {
    let doc = gatehouse_web::openapi_json();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/api/openapi.snapshot.json");
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
        std::fs::write(&path, &doc).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        doc == expected,
        "the OpenAPI document changed; review and run with UPDATE_SNAPSHOTS=1 to accept"
    );
}

#[test]
fn openapi_documents_every_route_and_error() {
    let doc: serde_json::Value = serde_json::from_str(&gatehouse_web::openapi_json()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/businesses",
        "/api/v1/businesses/{business_id}",
        "/api/v1/businesses/{business_id}/tenants",
        "/api/v1/businesses/{business_id}/tenants/{tenant_id}",
        "/api/v1/businesses/{business_id}/api-keys",
        "/api/v1/tenants",
        "/api/v1/users",
        "/api/v1/users/{user_id}",
        "/api/v1/users/{user_id}/deactivate",
        "/api/v1/users/{user_id}/reactivate",
        "/api/v1/users/{user_id}/invitation",
        "/api/v1/users/{user_id}/reset-mfa",
        "/api/v1/users/{user_id}/reset-password",
        "/api/v1/users/{user_id}/unlock",
        "/api/v1/groups",
        "/api/v1/groups/{group_id}",
        "/api/v1/groups/{group_id}/members",
        "/api/v1/groups/{group_id}/members/{user_id}",
        "/api/v1/api-keys",
        "/api/v1/api-keys/{api_key_id}",
        "/api/v1/audit-events",
        "/api/v1/permissions",
        "/healthz",
        "/readyz",
    ] {
        assert!(paths.contains_key(p), "{p} missing");
    }
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            if path.starts_with("/api/") {
                for status in [
                    "400", "401", "403", "404", "405", "408", "409", "413", "415", "422", "431",
                    "500",
                ] {
                    assert!(
                        op["responses"].get(status).is_some(),
                        "{method} {path} lacks {status}"
                    );
                }
                assert!(
                    !op["security"].as_array().unwrap().is_empty(),
                    "{method} {path}"
                );
            }
            // A parameter "in: path" is one of the path's own; filters are query parameters.
            for param in op["parameters"].as_array().into_iter().flatten() {
                let name = param["name"].as_str().unwrap();
                if param["in"] == "path" {
                    assert!(
                        path.contains(&format!("{{{name}}}")),
                        "{method} {path}: {name}"
                    );
                } else if name != "permission" {
                    // Only who-can's question is required.
                    assert_ne!(param["required"], true, "{method} {path}: {name}");
                }
            }
        }
    }
    assert!(doc["components"]["schemas"].get("ErrorBody").is_some());
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["api_key"]["scheme"], "bearer");
    assert_eq!(schemes["operator"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["csrf"]["name"], "X-CSRF-Token");
}

/// Every `$ref` names something the document has (a missing `UserSort` made `GET /users`
/// unusable for generated clients).
#[test]
fn openapi_references_resolve() {
    fn walk(doc: &Value, node: &Value, seen: &mut usize) {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    let pointer = target.strip_prefix('#').unwrap();
                    assert!(doc.pointer(pointer).is_some(), "unresolved {target}");
                    *seen += 1;
                }
                map.values().for_each(|v| walk(doc, v, seen));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(doc, v, seen)),
            _ => {}
        }
    }
    let doc: Value = serde_json::from_str(&gatehouse_web::openapi_json()).unwrap();
    let mut seen = 0;
    walk(&doc, &doc, &mut seen);
    assert!(seen > 100);
    let sort = &doc["paths"]["/api/v1/users"]["get"]["parameters"];
    assert!(
        sort.as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "sort" && p["schema"]["$ref"] == "#/components/schemas/UserSort")
    );
}

crate::backend_tests!(the_served_document_is_the_snapshot_one);

/// With the built-in catalog and default settings, the node serves the document under test.
async fn the_served_document_is_the_snapshot_one(app: App) {
    let res = app
        .client
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let served: Value = res.json().await.unwrap();
    let expected: Value = serde_json::from_str(&gatehouse_web::openapi_json()).unwrap();
    assert_eq!(served, expected);
}
