//! The one error shape of the API, `{"error":{"code","message","details"}}`, and the one
//! place where domain errors become HTTP statuses. 5xx bodies are generic; the cause is
//! logged once, here.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gatehouse_domain::Error;
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
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the body is larger than the limit",
        )
    }

    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: json!({}),
            retry_after: None,
        }
    }
}

fn status_of(err: &Error) -> StatusCode {
    match err {
        Error::Invalid { .. }
        | Error::UnknownPermission(_)
        | Error::PermissionScopeMismatch { .. }
        | Error::BusinessPermissionOnTenantGroup
        | Error::EmptyTenantSet
        | Error::TenantSetOnBusinessGroup
        | Error::SensitiveGrantUnacknowledged { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Error::InvalidCursor => StatusCode::BAD_REQUEST,
        Error::Unauthenticated | Error::SignInFailed | Error::MfaCodeInvalid => {
            StatusCode::UNAUTHORIZED
        }
        Error::CurrentPasswordIncorrect => StatusCode::FORBIDDEN,
        Error::RateLimited { .. } | Error::SignInThrottled { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::StepUpRequired | Error::StepUpFailed => StatusCode::FORBIDDEN,
        Error::InvitationNotFound | Error::SessionNotFound => StatusCode::NOT_FOUND,
        Error::LinkUnusable(_) => StatusCode::GONE,
        Error::LastAdministrator
        | Error::UserNotPending
        | Error::MfaNotEnrolled
        | Error::AlreadySetUp => StatusCode::CONFLICT,
        Error::PermissionDenied { .. } | Error::OperatorOnly | Error::WouldEscalate { .. } => {
            StatusCode::FORBIDDEN
        }
        Error::BusinessNotFound
        | Error::TenantNotFound
        | Error::UserNotFound
        | Error::GroupNotFound
        | Error::ApiKeyNotFound => StatusCode::NOT_FOUND,
        Error::BusinessSlugTaken
        | Error::TenantSlugTaken
        | Error::EmailTaken
        | Error::GroupNameTaken
        | Error::TenantInUse { .. }
        | Error::GroupHasMembers { .. }
        | Error::VersionConflict { .. }
        | Error::UserStatusUnchanged(_)
        | Error::ApiKeyAlreadyRevoked => StatusCode::CONFLICT,
        Error::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
        Error::Storage(_)
        | Error::Randomness(_)
        | Error::PasswordHashing(_)
        | Error::SecretDecryption(_)
        | Error::MailDelivery(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        let status = status_of(&err);
        if status.is_server_error() {
            tracing::error!(error = %err, code = err.code(), "request failed");
            return Self::new(status, "internal", "internal error; see the server log");
        }
        let retry_after = match &err {
            Error::RateLimited { retry_after_secs }
            | Error::SignInThrottled { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        Self {
            status,
            code: err.code(),
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

/// The error responses every API route may give, for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only read by the OpenAPI derive
pub enum ErrorResponses {
    /// Malformed JSON, query or cursor.
    #[response(status = 400)]
    BadRequest(#[to_schema] ErrorBody),
    /// Missing, invalid, expired or revoked credentials.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// The caller lacks the permission, or would grant rights they do not hold.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// No such object in the caller's business.
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// Conflicts with the current state (taken names, stale version, in use).
    #[response(status = 409)]
    Conflict(ErrorBody),
    /// `If-Match` does not match the current version.
    #[response(status = 412)]
    PreconditionFailed(ErrorBody),
    /// Body larger than the limit.
    #[response(status = 413)]
    PayloadTooLarge(ErrorBody),
    /// Body is not `application/json`.
    #[response(status = 415)]
    UnsupportedMediaType(ErrorBody),
    /// A link (invitation, password reset) that expired, was used or was revoked.
    #[response(status = 410)]
    Gone(ErrorBody),
    /// Well-formed JSON that breaks a rule (unknown field, invalid email, …).
    #[response(status = 422)]
    Unprocessable(ErrorBody),
    /// Too many attempts from this address; see `Retry-After`.
    #[response(status = 429)]
    TooManyRequests(ErrorBody),
    /// Something failed on the server; the body says nothing more.
    #[response(status = 500)]
    Internal(ErrorBody),
}
