//! The error answers every API route may give, as shared `components.responses`, each listing
//! the registered codes it carries; and the registry itself, as `x-error-codes` of
//! `ErrorDetail.code`.

use serde_json::{Map, Value, json};

use super::{operations, schema};
use crate::error_codes;

/// `(status, component name, what it means, whether it has the JSON error body)`.
const ERRORS: &[(u16, &str, &str, bool)] = &[
    (
        400,
        "BadRequest",
        "Malformed JSON, query, path, `If-Match` or cursor.",
        true,
    ),
    (
        401,
        "Unauthorized",
        "Missing, invalid, expired or revoked credentials.",
        true,
    ),
    (
        403,
        "Forbidden",
        "The caller lacks the permission, or would grant rights they do not hold.",
        true,
    ),
    (
        404,
        "NotFound",
        "No such object in the caller's business, or no such route.",
        true,
    ),
    (
        405,
        "MethodNotAllowed",
        "The path does not take this method.",
        true,
    ),
    (
        408,
        "RequestTimeout",
        "The request took longer than the server's request timeout.",
        true,
    ),
    (
        409,
        "Conflict",
        "Conflicts with the current state (taken names, stale version, in use).",
        true,
    ),
    (
        410,
        "Gone",
        "A link (invitation, password reset) that expired, was used or was replaced.",
        true,
    ),
    (
        412,
        "PreconditionFailed",
        "`If-Match` does not match the current version.",
        true,
    ),
    (
        413,
        "PayloadTooLarge",
        "The body is larger than the server's limit.",
        true,
    ),
    (
        415,
        "UnsupportedMediaType",
        "A body that is not `application/json`.",
        true,
    ),
    (
        422,
        "UnprocessableEntity",
        "A JSON body of another shape, or a value that breaks a rule.",
        true,
    ),
    (
        429,
        "TooManyRequests",
        "Too many attempts; `Retry-After` says when to try again.",
        true,
    ),
    (
        431,
        "RequestHeaderFieldsTooLarge",
        "The request head is too large; answered before routing, without a body.",
        false,
    ),
    (
        500,
        "InternalServerError",
        "Something failed on the server; the body says nothing more.",
        true,
    ),
];

pub(super) fn declare(doc: &mut Value) {
    let mut shared = Map::new();
    for &(status, name, meaning, with_body) in ERRORS {
        let codes: Vec<String> = error_codes::ALL
            .iter()
            .filter(|c| c.status.as_u16() == status)
            .map(|c| format!("`{}`", c.code))
            .collect();
        let mut response = json!({ "description": meaning });
        if !codes.is_empty() {
            response["description"] = json!(format!("{meaning} Codes: {}.", codes.join(", ")));
        }
        if with_body {
            response["content"] = json!({
                "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } }
            });
        }
        if status == 429 {
            response["headers"] = json!({
                "Retry-After": {
                    "description": "Seconds to wait before trying again.",
                    "schema": { "type": "integer", "minimum": 0 }
                }
            });
        }
        shared.insert(name.to_owned(), response);
    }
    if let Some(components) = doc.get_mut("components").and_then(Value::as_object_mut) {
        components.insert("responses".to_owned(), Value::Object(shared));
    }
    for (_, _, op) in operations(doc) {
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            continue;
        };
        for &(status, name, _, _) in ERRORS {
            responses.insert(
                status.to_string(),
                json!({ "$ref": format!("#/components/responses/{name}") }),
            );
        }
    }
    register_codes(doc);
}

/// `ErrorDetail.code` with the whole registry.
fn register_codes(doc: &mut Value) {
    let Some(detail) = schema(doc, "ErrorDetail") else {
        return;
    };
    let table: Vec<Value> = error_codes::ALL
        .iter()
        .map(|c| json!({ "code": c.code, "status": c.status.as_u16(), "description": c.meaning }))
        .collect();
    if let Some(code) = detail
        .get_mut("properties")
        .and_then(|p| p.get_mut("code"))
        .and_then(Value::as_object_mut)
    {
        code.insert(
            "description".to_owned(),
            json!(
                "Stable, machine-readable code, e.g. `user_not_found`; every code with its \
                 status and meaning is in `x-error-codes`. New codes may be added."
            ),
        );
        code.insert("x-error-codes".to_owned(), Value::Array(table));
    }
}
