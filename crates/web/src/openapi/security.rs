//! How each operation authenticates: an API key or the operator token as a bearer token, or
//! the session cookie of a signed-in user — which, for a change, also needs the session's CSRF
//! token in `X-CSRF-Token` (and an `Origin` of Gatehouse's own).

use serde_json::{Value, json};

use super::operations;
use crate::browser::session_cookie_name;

pub(super) fn declare(doc: &mut Value, cookie_secure: bool) {
    let schemes = json!({
        "api_key": {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key of the business (`gth_…`): `Authorization: Bearer <key>`. \
                It acts with the rights it was given, never more than its creator's."
        },
        "operator": {
            "type": "http",
            "scheme": "bearer",
            "description": "The operator token (`gho_…`): `Authorization: Bearer <token>`. Only \
                the operator routes (tag `operator`) and the catalog take it."
        },
        "session": {
            "type": "apiKey",
            "in": "cookie",
            "name": session_cookie_name(cookie_secure),
            "description": "The session cookie of a user signed in to the dashboard; the user's \
                permissions apply. A change (any method but GET, HEAD, OPTIONS) also needs `csrf`."
        },
        "csrf": {
            "type": "apiKey",
            "in": "header",
            "name": "X-CSRF-Token",
            "description": "The session's CSRF token, for changes made with the session cookie; \
                the request must also come from Gatehouse's own origin (`Origin`), else \
                `csrf_rejected` (403)."
        }
    });
    if let Some(components) = doc.get_mut("components").and_then(Value::as_object_mut) {
        components.insert("securitySchemes".to_owned(), schemes);
    }
    if let Some(root) = doc.as_object_mut() {
        root.remove("security");
    }
    for (path, method, op) in operations(doc) {
        let operator_route = op["tags"]
            .as_array()
            .is_some_and(|tags| tags.iter().any(|t| t == "operator"));
        let session = if method == "get" {
            json!({ "session": [] })
        } else {
            json!({ "session": [], "csrf": [] })
        };
        op["security"] = if operator_route {
            json!([{ "operator": [] }])
        } else if path == "/api/v1/permissions" {
            json!([{ "api_key": [] }, { "operator": [] }, session])
        } else {
            json!([{ "api_key": [] }, session])
        };
    }
}
