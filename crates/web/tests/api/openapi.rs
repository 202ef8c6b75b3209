//! The OpenAPI document is generated from the code; this snapshot catches unintended changes.
//! After an intended change, regenerate with `UPDATE_SNAPSHOTS=1 cargo test -p gatehouse-web openapi`.

use std::path::PathBuf;

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
                    "400", "401", "403", "404", "409", "413", "415", "422", "500",
                ] {
                    assert!(
                        op["responses"].get(status).is_some(),
                        "{method} {path} lacks {status}"
                    );
                }
            }
        }
    }
    assert!(doc["components"]["schemas"].get("ErrorBody").is_some());
}
