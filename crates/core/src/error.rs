//! The domain's one error type. Every variant has a stable, greppable code; the web layer maps
//! each to an HTTP status in a single `match`.

use serde_json::{Value, json};

/// What went wrong, in the words of the domain.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    // --- input that does not parse or violates a rule (422) ---
    #[error("{field}: {reason}")]
    Invalid {
        code: &'static str,
        field: &'static str,
        reason: String,
    },
    #[error("unknown permission `{0}`")]
    UnknownPermission(String),
    #[error("permission `{permission}` cannot be granted in `{scope}`")]
    PermissionScopeMismatch {
        permission: String,
        scope: &'static str,
    },
    #[error("business-scope permissions can only be granted by business groups")]
    BusinessPermissionOnTenantGroup,
    #[error("a tenants group needs at least one tenant")]
    EmptyTenantSet,
    #[error("a business group covers every tenant and takes no tenant list")]
    TenantSetOnBusinessGroup,
    #[error("invalid pagination cursor")]
    InvalidCursor,
    #[error(
        "granting sensitive permissions ({}) needs acknowledge_sensitive: true",
        joined(.permissions)
    )]
    SensitiveGrantUnacknowledged {
        permissions: Vec<crate::grants::ScopedPermission>,
    },

    // --- authentication and authorization ---
    #[error("missing, invalid, expired or revoked credentials")]
    Unauthenticated,
    #[error("this action requires the `{permission}` permission")]
    PermissionDenied { permission: String },
    #[error("only the operator may do this")]
    OperatorOnly,
    #[error("granting rights the caller does not hold: {}", joined(.missing))]
    WouldEscalate {
        missing: Vec<crate::grants::ScopedPermission>,
    },

    #[error("sign-in failed: check the email and password, or wait a moment and try again")]
    SignInFailed,
    #[error("the code is not valid; try the current one from your authenticator app")]
    MfaCodeInvalid,
    #[error("too many attempts; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// After failed attempts, the account's next code is not evaluated before a wait. Told
    /// only to someone who has passed the password, so it says nothing to a stranger.
    #[error("too many wrong codes: wait {retry_after_secs} s, then enter the current code")]
    SignInThrottled { retry_after_secs: u64 },
    #[error("confirm it is you: enter your password and a code from your authenticator")]
    StepUpRequired,
    #[error("the password or the code is not correct")]
    StepUpFailed,
    #[error("the current password is not correct")]
    CurrentPasswordIncorrect,

    // --- not found (404); also the answer for objects of another business ---
    #[error("business not found")]
    BusinessNotFound,
    #[error("tenant not found")]
    TenantNotFound,
    #[error("user not found")]
    UserNotFound,
    #[error("group not found")]
    GroupNotFound,
    #[error("API key not found")]
    ApiKeyNotFound,
    #[error("application not found")]
    ApplicationNotFound,
    #[error("webhook endpoint not found")]
    WebhookNotFound,
    #[error("webhook delivery not found")]
    WebhookDeliveryNotFound,
    #[error("the user has no pending invitation")]
    InvitationNotFound,
    #[error("session not found")]
    SessionNotFound,
    #[error("import job not found")]
    ImportJobNotFound,
    #[error("access request not found")]
    AccessRequestNotFound,
    #[error("access review not found")]
    AccessReviewNotFound,
    /// Also the answer for an item of a review the caller is not assigned to.
    #[error("review item not found")]
    ReviewItemNotFound,
    #[error("review schedule not found")]
    ReviewScheduleNotFound,

    // --- a link that cannot be used any more (410) ---
    #[error("this link {0}")]
    LinkUnusable(&'static str),

    // --- conflicts with the current state (409 / 412) ---
    #[error("a business with this slug already exists")]
    BusinessSlugTaken,
    #[error("a tenant with this slug already exists in the business")]
    TenantSlugTaken,
    #[error("a user with this email already exists in the business")]
    EmailTaken,
    #[error("a group with this name already exists in the business")]
    GroupNameTaken,
    #[error("the tenant is used by {groups} group(s); remove it from them first")]
    TenantInUse { groups: i64 },
    #[error("the group has {members} member(s); pass force=true to delete it anyway")]
    GroupHasMembers { members: i64 },
    #[error("the object was changed by someone else (current version {current})")]
    VersionConflict { current: i64 },
    #[error("If-Match does not match the current version {current}")]
    PreconditionFailed { current: i64 },
    #[error("the user is already {0}")]
    UserStatusUnchanged(&'static str),
    #[error("the API key is already revoked")]
    ApiKeyAlreadyRevoked,
    #[error("the access request was already {0}")]
    AccessRequestDecided(&'static str),
    #[error("the access review is closed")]
    AccessReviewClosed,
    #[error("the access review is still open: its report exists once it is closed")]
    AccessReviewOpen,
    #[error("the review item was already decided")]
    ReviewItemDecided,
    #[error("nobody approves their own request for access")]
    SelfApproval,
    #[error("a public client has no secret to rotate")]
    NoClientSecret,
    #[error(
        "the business would be left without an active administrator (users.manage and groups.manage)"
    )]
    LastAdministrator,
    /// The user was deprovisioned (SCIM `DELETE`): the account can never come back.
    #[error("the user was deprovisioned and cannot be reactivated")]
    UserDeprovisioned,
    // --- SCIM protocol errors (400, each with its RFC 7644 `scimType`) ---
    #[error("invalid filter: {0}")]
    ScimInvalidFilter(String),
    #[error("invalid attribute path: {0}")]
    ScimInvalidPath(String),
    #[error("the path matches nothing: {0}")]
    ScimNoTarget(String),
    #[error("invalid value: {0}")]
    ScimInvalidValue(String),
    #[error("invalid request: {0}")]
    ScimInvalidSyntax(String),
    #[error("attribute cannot be changed: {0}")]
    ScimMutability(String),
    #[error("the user is not pending: only invited users who have not accepted get invitations")]
    UserNotPending,
    #[error("the user has no second factor enrolled")]
    MfaNotEnrolled,
    /// A passkey ceremony failed one of the relying party's checks (origin, relying-party
    /// id, challenge, user verification, signature, counter, owner).
    #[error("the passkey was not accepted: {0}")]
    PasskeyRejected(&'static str),
    #[error("passkey not found")]
    PasskeyNotFound,
    /// Removing it would leave the user without the second factor the policy requires.
    #[error("this is your last second factor, and your business requires one")]
    LastSecondFactor,
    #[error("Gatehouse is already set up")]
    AlreadySetUp,
    #[error(
        "the next signing key was published too recently for clients to have it; rotate again in {retry_after_secs} s, or force it"
    )]
    SigningKeyTooNew { retry_after_secs: u64 },

    // --- the machinery failed (500, body generic, cause logged once) ---
    #[error("storage error: {0}")]
    Storage(String),
    #[error("no randomness available: {0}")]
    Randomness(String),
    #[error("password hashing failed: {0}")]
    PasswordHashing(String),
    #[error("an encrypted secret does not open: {0}")]
    SecretDecryption(String),
    #[error("mail could not be handed over: {0}")]
    MailDelivery(String),
    #[error("signing failed: {0}")]
    Signing(String),
}

impl Error {
    /// Stable, greppable error code, the `code` of the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { code, .. } => code,
            Error::UnknownPermission(_) => "unknown_permission",
            Error::PermissionScopeMismatch { .. } => "permission_scope_mismatch",
            Error::BusinessPermissionOnTenantGroup => "business_permission_on_tenant_group",
            Error::EmptyTenantSet => "empty_tenant_set",
            Error::TenantSetOnBusinessGroup => "tenant_set_on_business_group",
            Error::InvalidCursor => "invalid_cursor",
            Error::SensitiveGrantUnacknowledged { .. } => "sensitive_grant_unacknowledged",
            Error::Unauthenticated => "unauthenticated",
            Error::PermissionDenied { .. } => "permission_denied",
            Error::OperatorOnly => "operator_only",
            Error::WouldEscalate { .. } => "would_escalate",
            Error::BusinessNotFound => "business_not_found",
            Error::TenantNotFound => "tenant_not_found",
            Error::UserNotFound => "user_not_found",
            Error::GroupNotFound => "group_not_found",
            Error::ApiKeyNotFound => "api_key_not_found",
            Error::ApplicationNotFound => "application_not_found",
            Error::WebhookNotFound => "webhook_not_found",
            Error::WebhookDeliveryNotFound => "webhook_delivery_not_found",
            Error::BusinessSlugTaken => "business_slug_taken",
            Error::TenantSlugTaken => "tenant_slug_taken",
            Error::EmailTaken => "email_taken",
            Error::GroupNameTaken => "group_name_taken",
            Error::TenantInUse { .. } => "tenant_in_use",
            Error::GroupHasMembers { .. } => "group_has_members",
            Error::VersionConflict { .. } => "version_conflict",
            Error::PreconditionFailed { .. } => "precondition_failed",
            Error::UserStatusUnchanged(_) => "user_status_unchanged",
            Error::ApiKeyAlreadyRevoked => "api_key_already_revoked",
            Error::NoClientSecret => "no_client_secret",
            Error::SignInFailed => "sign_in_failed",
            Error::MfaCodeInvalid => "mfa_code_invalid",
            Error::RateLimited { .. } => "rate_limited",
            Error::SignInThrottled { .. } => "sign_in_throttled",
            Error::StepUpRequired => "step_up_required",
            Error::StepUpFailed => "step_up_failed",
            Error::CurrentPasswordIncorrect => "current_password_incorrect",
            Error::InvitationNotFound => "invitation_not_found",
            Error::SessionNotFound => "session_not_found",
            Error::ImportJobNotFound => "import_job_not_found",
            Error::AccessRequestNotFound => "access_request_not_found",
            Error::AccessRequestDecided(_) => "access_request_decided",
            Error::AccessReviewNotFound => "access_review_not_found",
            Error::ReviewItemNotFound => "review_item_not_found",
            Error::ReviewScheduleNotFound => "review_schedule_not_found",
            Error::AccessReviewClosed => "access_review_closed",
            Error::AccessReviewOpen => "access_review_open",
            Error::ReviewItemDecided => "review_item_decided",
            Error::SelfApproval => "self_approval",
            Error::LinkUnusable(_) => "link_unusable",
            Error::LastAdministrator => "last_administrator",
            Error::UserDeprovisioned => "user_deprovisioned",
            Error::ScimInvalidFilter(_) => "scim_invalid_filter",
            Error::ScimInvalidPath(_) => "scim_invalid_path",
            Error::ScimNoTarget(_) => "scim_no_target",
            Error::ScimInvalidValue(_) => "scim_invalid_value",
            Error::ScimInvalidSyntax(_) => "scim_invalid_syntax",
            Error::ScimMutability(_) => "scim_mutability",
            Error::UserNotPending => "user_not_pending",
            Error::MfaNotEnrolled => "mfa_not_enrolled",
            Error::PasskeyRejected(_) => "passkey_rejected",
            Error::PasskeyNotFound => "passkey_not_found",
            Error::LastSecondFactor => "last_second_factor",
            Error::AlreadySetUp => "already_set_up",
            Error::SigningKeyTooNew { .. } => "signing_key_too_new",
            Error::Storage(_)
            | Error::Randomness(_)
            | Error::PasswordHashing(_)
            | Error::SecretDecryption(_)
            | Error::MailDelivery(_)
            | Error::Signing(_) => "internal",
        }
    }

    /// Structured details for the JSON error body (`{}` when there are none).
    pub fn details(&self) -> Value {
        match self {
            Error::Invalid { field, .. } => json!({ "field": field }),
            Error::UnknownPermission(p) => json!({ "permission": p }),
            Error::PermissionScopeMismatch { permission, scope } => {
                json!({ "permission": permission, "scope": scope })
            }
            Error::PermissionDenied { permission } => json!({ "permission": permission }),
            Error::WouldEscalate { missing } => json!({ "missing": missing }),
            Error::SensitiveGrantUnacknowledged { permissions } => {
                json!({ "permissions": permissions })
            }
            Error::TenantInUse { groups } => json!({ "groups": groups }),
            Error::GroupHasMembers { members } => json!({ "members": members }),
            Error::VersionConflict { current } | Error::PreconditionFailed { current } => {
                json!({ "current_version": current })
            }
            Error::RateLimited { retry_after_secs }
            | Error::SignInThrottled { retry_after_secs }
            | Error::SigningKeyTooNew { retry_after_secs } => {
                json!({ "retry_after_secs": retry_after_secs })
            }
            Error::LinkUnusable(why) => json!({ "reason": why }),
            _ => json!({}),
        }
    }

    /// A validation failure of one field.
    pub fn invalid(code: &'static str, field: &'static str, reason: impl Into<String>) -> Self {
        Error::Invalid {
            code,
            field,
            reason: reason.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `a, b, c` of what `items` display as.
fn joined<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
