//! Errors in the SCIM error schema (RFC 7644 §3.12): the status from the one code registry,
//! the `scimType` that names what went wrong, and the detail. The code of the registry rides
//! along in the response's extensions so the request log can show it.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gatehouse_domain::Error;
use gatehouse_domain::scim::schema::ERROR_SCHEMA;
use serde_json::json;

use crate::error::ApiError;

/// A refused SCIM request.
#[derive(Debug)]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

/// What the request log records of a refusal: `scimType` (or code) and detail.
#[derive(Debug, Clone)]
pub struct Refusal(pub String);

impl ScimError {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    pub fn not_found(detail: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, detail)
    }
}

/// The `scimType` of a registered code, for the 400s and 409s that have one.
fn scim_type(code: &str) -> Option<&'static str> {
    Some(match code {
        "scim_invalid_filter" => "invalidFilter",
        "scim_invalid_path" => "invalidPath",
        "scim_no_target" => "noTarget",
        "scim_invalid_syntax" | "invalid_json" | "invalid_body" => "invalidSyntax",
        "scim_mutability" => "mutability",
        "email_taken" | "group_name_taken" => "uniqueness",
        c if c.starts_with("invalid") || c == "scim_invalid_value" => "invalidValue",
        _ => return None,
    })
}

impl From<ApiError> for ScimError {
    fn from(e: ApiError) -> Self {
        let scim_type = scim_type(e.code);
        // Validation failures are 422 in the JSON API; SCIM says 400 invalidValue.
        let status = match (e.status, scim_type) {
            (StatusCode::UNPROCESSABLE_ENTITY, _) => StatusCode::BAD_REQUEST,
            (StatusCode::CONFLICT, None) if e.code == "version_conflict" => {
                StatusCode::PRECONDITION_FAILED
            }
            (s, _) => s,
        };
        Self::new(status, scim_type, e.message)
    }
}

impl From<Error> for ScimError {
    fn from(e: Error) -> Self {
        ApiError::from(e).into()
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        let note = format!("{}: {}", self.scim_type.unwrap_or("error"), self.detail);
        let mut response = super::io::scim_json(self.status, &body);
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response.extensions_mut().insert(Refusal(note));
        response
    }
}
