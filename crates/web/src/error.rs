//! The one error shape of the API, `{"error":{"code","message","details"}}`. Statuses come
//! from the code registry (`error_codes`); 5xx bodies are generic; the cause is logged once,
//! here.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gatehouse_domain::Error;

use crate::error_codes::{self as codes, ErrorCode};
use serde::Serialize;
use serde_json::{Value, json};

/// An error as the API answers it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
    /// Seconds for a `Retry-After` header (429).
    pub retry_after: Option<u64>,
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable code, e.g. `user_not_found`.
    pub code: String,
    /// A human-readable explanation; may change between versions.
    pub message: String,
    /// Structured context (the offending field, the missing permission, …).
    #[schema(value_type = Object)]
    pub details: Value,
}

impl ApiError {
    /// A request body over the configured limit.
    pub fn payload_too_large() -> Self {
        Self::new(
            codes::PAYLOAD_TOO_LARGE,
            "the body is larger than the limit",
        )
    }

    /// An answer with a registered code; the status is the registry's.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status: code.status,
            code: code.code,
            message: message.into(),
            details: json!({}),
            retry_after: None,
        }
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        let Some(registered) = codes::lookup(err.code()) else {
            tracing::error!(error = %err, code = err.code(), "an error code missing from the registry");
            return Self::new(codes::INTERNAL, "internal error; see the server log");
        };
        if registered.status.is_server_error() {
            tracing::error!(error = %err, code = err.code(), "request failed");
            return Self::new(codes::INTERNAL, "internal error; see the server log");
        }
        let retry_after = match &err {
            Error::RateLimited { retry_after_secs }
            | Error::SignInThrottled { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        Self {
            status: registered.status,
            code: registered.code,
            message: err.to_string(),
            details: err.details(),
            retry_after,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message, "details": self.details } });
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}
