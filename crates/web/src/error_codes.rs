//! The registry of every error code an answer can carry: its HTTP status and what it means.
//! It is the one place that maps a code to a status (domain errors by `Error::code`, the HTTP
//! layer's own by the constants below), it is published in the OpenAPI description
//! (`x-error-codes`), and a test fails when any code emitted anywhere is missing from it.

use axum::http::StatusCode;

/// One registered code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    /// The stable `code` of the JSON error body.
    pub code: &'static str,
    pub status: StatusCode,
    /// One line for the OpenAPI description.
    pub meaning: &'static str,
}

macro_rules! registry {
    ($($name:ident = $code:literal, $status:ident, $meaning:literal;)*) => {
        $(
            pub(crate) const $name: ErrorCode = ErrorCode {
                code: $code,
                status: StatusCode::$status,
                meaning: $meaning,
            };
        )*
        /// Every code, in the order of this file.
        pub const ALL: &[ErrorCode] = &[$($name),*];
        /// Each constant's name, to check it spells its code.
        #[cfg(test)]
        const NAMES: &[(&str, ErrorCode)] = &[$((stringify!($name), $name)),*];
    };
}

registry! {
    // --- the request itself (HTTP layer) ---
    INVALID_JSON = "invalid_json", BAD_REQUEST, "The body is not valid JSON.";
    INVALID_BODY = "invalid_body", BAD_REQUEST, "The body could not be read.";
    INVALID_QUERY = "invalid_query", BAD_REQUEST, "A query parameter is malformed, unknown or of the wrong type.";
    INVALID_PATH = "invalid_path", BAD_REQUEST, "A path parameter (an id) is malformed.";
    INVALID_IF_MATCH = "invalid_if_match", BAD_REQUEST, "`If-Match` is not a version such as `\"3\"`.";
    INVALID_CURSOR = "invalid_cursor", BAD_REQUEST, "The `cursor` is not one this list issued (with the same sort).";
    INVALID_REQUEST = "invalid_request", UNPROCESSABLE_ENTITY, "The JSON body is not an object of the documented shape (unknown field, wrong type, missing field).";
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "A body was sent without `Content-Type: application/json`.";
    PAYLOAD_TOO_LARGE = "payload_too_large", PAYLOAD_TOO_LARGE, "The body is larger than the configured limit.";
    NOT_FOUND = "not_found", NOT_FOUND, "No such route.";
    METHOD_NOT_ALLOWED = "method_not_allowed", METHOD_NOT_ALLOWED, "The route does not take this method.";
    REQUEST_TIMEOUT = "request_timeout", REQUEST_TIMEOUT, "The request took longer than the configured request timeout.";
    CSRF_REJECTED = "csrf_rejected", FORBIDDEN, "A cookie-authenticated change without the session's `X-CSRF-Token` or from another origin.";
    INTERNAL = "internal", INTERNAL_SERVER_ERROR, "Something failed on the server; the body says nothing more and the cause is logged.";

    // --- credentials and rights ---
    UNAUTHENTICATED = "unauthenticated", UNAUTHORIZED, "Missing, invalid, expired or revoked credentials.";
    PERMISSION_DENIED = "permission_denied", FORBIDDEN, "The caller lacks the permission named in `details.permission`.";
    OPERATOR_ONLY = "operator_only", FORBIDDEN, "Only the operator token may do this.";
    WOULD_ESCALATE = "would_escalate", FORBIDDEN, "The change grants rights the caller does not hold (`details.missing`).";
    SIGN_IN_FAILED = "sign_in_failed", UNAUTHORIZED, "Sign-in failed: wrong email or password, or the account may not sign in.";
    MFA_CODE_INVALID = "mfa_code_invalid", UNAUTHORIZED, "The second-factor code is not valid.";
    STEP_UP_REQUIRED = "step_up_required", FORBIDDEN, "The action needs the password and a second-factor code again.";
    STEP_UP_FAILED = "step_up_failed", FORBIDDEN, "The password or the code given for the step-up is not correct.";
    CURRENT_PASSWORD_INCORRECT = "current_password_incorrect", FORBIDDEN, "The current password is not correct.";
    RATE_LIMITED = "rate_limited", TOO_MANY_REQUESTS, "Too many attempts from this address; see `Retry-After`.";
    SIGN_IN_THROTTLED = "sign_in_throttled", TOO_MANY_REQUESTS, "Too many wrong codes for the account; see `Retry-After`.";

    // --- values that break a rule ---
    INVALID_NAME = "invalid_name", UNPROCESSABLE_ENTITY, "A business, tenant, API key or application name is empty, too long or has control characters.";
    INVALID_GROUP_NAME = "invalid_group_name", UNPROCESSABLE_ENTITY, "A group name is empty, longer than 100 characters or has control characters.";
    INVALID_DISPLAY_NAME = "invalid_display_name", UNPROCESSABLE_ENTITY, "A display name is longer than 200 characters or has control characters.";
    INVALID_IMPORT_FILE = "invalid_import_file", UNPROCESSABLE_ENTITY, "An import file cannot be read: not UTF-8, no `email` column, an unknown column, or too many rows.";
    INVALID_DESCRIPTION = "invalid_description", UNPROCESSABLE_ENTITY, "A description is longer than 1000 characters or has control characters.";
    INVALID_EMAIL = "invalid_email", UNPROCESSABLE_ENTITY, "Not an email address of the form `name@example.com`.";
    INVALID_SLUG = "invalid_slug", UNPROCESSABLE_ENTITY, "A slug is not 2–63 of `a-z`, `0-9` and `-`, starting with a letter.";
    INVALID_CHAIN_HEAD = "invalid_chain_head", UNPROCESSABLE_ENTITY, "A published audit chain head is not `SEQ:HASH` (a non-negative integer, a colon, 64 lowercase hex digits).";
    INVALID_EXPORT = "invalid_export", UNPROCESSABLE_ENTITY, "A line of an audit export given to `gatehouse audit verify --file` is not an audit event (CLI only).";
    INVALID_LIMIT = "invalid_limit", UNPROCESSABLE_ENTITY, "`limit` is not 1–500.";
    INVALID_GRACE_DAYS = "invalid_grace_days", UNPROCESSABLE_ENTITY, "`mfa_grace_days` is more than 90.";
    INVALID_PASSKEY_NAME = "invalid_passkey_name", UNPROCESSABLE_ENTITY, "A passkey's name is longer than 64 characters or has control characters.";
    INVALID_PUBLIC_URL = "invalid_public_url", UNPROCESSABLE_ENTITY, "`auth.public_url` is not an absolute URL with a host, so it names no WebAuthn relying party.";
    INVALID_EXPIRY = "invalid_expiry", UNPROCESSABLE_ENTITY, "An API key's `expires_at`, or a temporary membership's end, is not in the future (a membership: or more than 366 days ahead, or given both as `expires_at` and `expires_in_seconds`).";
    INVALID_THRESHOLD = "invalid_threshold", UNPROCESSABLE_ENTITY, "An access-health threshold is outside its bounds.";
    ACCESS_REQUEST_NOT_FOUND = "access_request_not_found", NOT_FOUND, "No such request for access in the caller's business.";
    ACCESS_REQUEST_DECIDED = "access_request_decided", CONFLICT, "The request for access was already approved or denied.";
    SELF_APPROVAL = "self_approval", FORBIDDEN, "Nobody approves their own request for access.";
    INVALID_REASON = "invalid_reason", UNPROCESSABLE_ENTITY, "A request for access needs a reason of 1 to 500 characters.";
    INVALID_DURATION = "invalid_duration", UNPROCESSABLE_ENTITY, "A request for access lasts 1 minute to 366 days.";
    ACCESS_REVIEW_NOT_FOUND = "access_review_not_found", NOT_FOUND, "No such access review in the caller's business.";
    REVIEW_ITEM_NOT_FOUND = "review_item_not_found", NOT_FOUND, "No such item in the review among those the caller reviews (an item of someone else's, or one's own membership, is not found).";
    REVIEW_SCHEDULE_NOT_FOUND = "review_schedule_not_found", NOT_FOUND, "No such review schedule in the caller's business.";
    ACCESS_REVIEW_CLOSED = "access_review_closed", CONFLICT, "The access review is closed: no more decisions, and it cannot close again.";
    ACCESS_REVIEW_OPEN = "access_review_open", CONFLICT, "The access review is still open: its report exists once it is closed.";
    REVIEW_ITEM_DECIDED = "review_item_decided", CONFLICT, "The review item was already kept or removed.";
    INVALID_REVIEW_NAME = "invalid_review_name", UNPROCESSABLE_ENTITY, "A review or schedule name is empty, longer than 100 characters or has control characters.";
    INVALID_REVIEW_SCOPE = "invalid_review_scope", UNPROCESSABLE_ENTITY, "A review's chosen groups are not 1 to 100 distinct groups.";
    INVALID_REVIEWERS = "invalid_reviewers", UNPROCESSABLE_ENTITY, "A review needs group owners and/or 1 to 50 distinct named reviewers, each an active user of the business.";
    INVALID_DUE_DATE = "invalid_due_date", UNPROCESSABLE_ENTITY, "A review is due 1 hour to 366 days after it starts.";
    INVALID_COMMENT = "invalid_comment", UNPROCESSABLE_ENTITY, "A decision's comment is longer than 500 characters or has control characters, or a removal has none.";
    INVALID_DECISION = "invalid_decision", UNPROCESSABLE_ENTITY, "A dashboard decision that is neither keep nor remove (the API's body schema says the same).";
    INVALID_OWNER = "invalid_owner", UNPROCESSABLE_ENTITY, "A deactivated user cannot own a group.";
    INVALID_SCHEDULE = "invalid_schedule", UNPROCESSABLE_ENTITY, "A schedule runs every 7 to 366 days, each review due 1 day to the period after it starts, the first start within a year.";
    REVIEW_UNASSIGNED = "review_unassigned", UNPROCESSABLE_ENTITY, "Some memberships in scope would have no reviewer (their groups have no owner other than the member, and no reviewer is named).";
    REVIEW_TOO_LARGE = "review_too_large", UNPROCESSABLE_ENTITY, "The scope holds more than 20,000 memberships.";
    USER_ONLY = "user_only", FORBIDDEN, "Only a signed-in user can do this: an API key or a service asks for no access and has no weekly digest.";
    INVALID_REDIRECT_URI = "invalid_redirect_uri", UNPROCESSABLE_ENTITY, "A redirect or post-logout redirect URI is not an absolute https URL (http only on 127.0.0.1, [::1] or localhost), has a fragment or user information, is longer than 2048 bytes, or there are more than 20; or `authorization_code` lacks one (`details.field`).";
    INVALID_BACKCHANNEL_LOGOUT_URI = "invalid_backchannel_logout_uri", UNPROCESSABLE_ENTITY, "The back-channel logout URI breaks the rules of redirect URIs.";
    INVALID_GRANT_TYPES = "invalid_grant_types", UNPROCESSABLE_ENTITY, "No grant type, `client_credentials` for a public client, or `refresh_token` without `authorization_code`.";
    INVALID_TOKEN_LIFETIME = "invalid_token_lifetime", UNPROCESSABLE_ENTITY, "A token lifetime is outside its bounds (`details.field`).";
    INVALID_SERVICE_PERMISSIONS = "invalid_service_permissions", UNPROCESSABLE_ENTITY, "`service_permissions` for an application without the `client_credentials` grant type.";
    INVALID_ENROLMENT = "invalid_enrolment", UNPROCESSABLE_ENTITY, "The second-factor enrolment is stale; start it again.";
    INVALID_ARGON2_PARAMS = "invalid_argon2_params", UNPROCESSABLE_ENTITY, "The configured Argon2 parameters are invalid (a start-up error, never an API answer).";
    PASSWORD_TOO_SHORT = "password_too_short", UNPROCESSABLE_ENTITY, "The new password is shorter than the policy's minimum.";
    PASSWORD_TOO_LONG = "password_too_long", UNPROCESSABLE_ENTITY, "The new password is longer than the policy's maximum.";
    PASSWORD_CONTAINS_IDENTITY = "password_contains_identity", UNPROCESSABLE_ENTITY, "The new password contains the email name, the business name or the service's name.";
    PASSWORD_TOO_COMMON = "password_too_common", UNPROCESSABLE_ENTITY, "The new password is too common or too easy to guess.";
    TOO_MANY_USERS = "too_many_users", UNPROCESSABLE_ENTITY, "More than 1000 users in one request.";
    BATCH_TOO_LARGE = "batch_too_large", UNPROCESSABLE_ENTITY, "More than 1000 questions in one batch.";
    TENANT_REQUIRED = "tenant_required", UNPROCESSABLE_ENTITY, "An environment permission is asked about without a tenant and an environment.";
    UNKNOWN_PERMISSION = "unknown_permission", UNPROCESSABLE_ENTITY, "A permission key the catalog does not know (`details.permission`).";
    PERMISSION_SCOPE_MISMATCH = "permission_scope_mismatch", UNPROCESSABLE_ENTITY, "A permission granted in the wrong scope (business vs live/sandbox).";
    BUSINESS_PERMISSION_ON_TENANT_GROUP = "business_permission_on_tenant_group", UNPROCESSABLE_ENTITY, "A tenants group cannot grant business permissions.";
    EMPTY_TENANT_SET = "empty_tenant_set", UNPROCESSABLE_ENTITY, "A tenants group needs at least one tenant.";
    TENANT_SET_ON_BUSINESS_GROUP = "tenant_set_on_business_group", UNPROCESSABLE_ENTITY, "A business group covers every tenant and takes no tenant list.";
    SENSITIVE_GRANT_UNACKNOWLEDGED = "sensitive_grant_unacknowledged", UNPROCESSABLE_ENTITY, "Granting sensitive permissions needs `acknowledge_sensitive: true` (`details.permissions`).";

    // --- no such object (also the answer for another business's objects) ---
    BUSINESS_NOT_FOUND = "business_not_found", NOT_FOUND, "No such business.";
    TENANT_NOT_FOUND = "tenant_not_found", NOT_FOUND, "No such tenant in the business.";
    USER_NOT_FOUND = "user_not_found", NOT_FOUND, "No such user in the business.";
    GROUP_NOT_FOUND = "group_not_found", NOT_FOUND, "No such group in the business.";
    API_KEY_NOT_FOUND = "api_key_not_found", NOT_FOUND, "No such API key in the business.";
    APPLICATION_NOT_FOUND = "application_not_found", NOT_FOUND, "No such application in the business.";
    WEBHOOK_NOT_FOUND = "webhook_not_found", NOT_FOUND, "No webhook endpoint with this id in the caller's business.";
    WEBHOOK_DELIVERY_NOT_FOUND = "webhook_delivery_not_found", NOT_FOUND, "No delivery with this id to this webhook endpoint.";
    INVALID_WEBHOOK_URL = "invalid_webhook_url", UNPROCESSABLE_ENTITY, "A webhook URL is not an absolute https URL (http only where the operator allows it) without user information or fragment, of at most 2048 bytes, or its host is a private, loopback, link-local or otherwise non-public address (unless the operator allows them).";
    INVALID_WEBHOOK_EVENT_TYPES = "invalid_webhook_event_types", UNPROCESSABLE_ENTITY, "`event_types` is empty.";
    INVITATION_NOT_FOUND = "invitation_not_found", NOT_FOUND, "The user has no pending invitation.";
    SESSION_NOT_FOUND = "session_not_found", NOT_FOUND, "No such session.";
    IMPORT_JOB_NOT_FOUND = "import_job_not_found", NOT_FOUND, "No such import job in the business.";
    LINK_UNUSABLE = "link_unusable", GONE, "An invitation or password-reset link that expired, was used or was replaced.";

    // --- conflicts with the current state ---
    BUSINESS_SLUG_TAKEN = "business_slug_taken", CONFLICT, "A business with this slug exists.";
    TENANT_SLUG_TAKEN = "tenant_slug_taken", CONFLICT, "A tenant with this slug exists in the business.";
    EMAIL_TAKEN = "email_taken", CONFLICT, "A user with this email exists in the business.";
    GROUP_NAME_TAKEN = "group_name_taken", CONFLICT, "A group with this name (ignoring case) exists in the business.";
    TENANT_IN_USE = "tenant_in_use", CONFLICT, "Groups still name the tenant (`details.groups`).";
    GROUP_HAS_MEMBERS = "group_has_members", CONFLICT, "The group has members; delete with `force=true` (`details.members`).";
    VERSION_CONFLICT = "version_conflict", CONFLICT, "The object changed since the version given (`details.current_version`).";
    PRECONDITION_FAILED = "precondition_failed", PRECONDITION_FAILED, "`If-Match` does not match the current version (`details.current_version`).";
    USER_STATUS_UNCHANGED = "user_status_unchanged", CONFLICT, "The user is already in the requested state.";
    API_KEY_ALREADY_REVOKED = "api_key_already_revoked", CONFLICT, "The API key is already revoked.";
    NO_CLIENT_SECRET = "no_client_secret", CONFLICT, "The application is a public client: it has no secret to rotate.";
    LAST_ADMINISTRATOR = "last_administrator", CONFLICT, "The business would be left without an active administrator.";
    USER_DEPROVISIONED = "user_deprovisioned", CONFLICT, "The user was deprovisioned through SCIM and cannot come back.";
    // --- SCIM (`/scim/v2`, answered in the SCIM error schema with the `scimType` in brackets) ---
    SCIM_INVALID_FILTER = "scim_invalid_filter", BAD_REQUEST, "SCIM: the filter does not parse or names an unknown attribute (`invalidFilter`).";
    SCIM_INVALID_PATH = "scim_invalid_path", BAD_REQUEST, "SCIM: a PATCH path is malformed or names an unknown attribute (`invalidPath`).";
    SCIM_NO_TARGET = "scim_no_target", BAD_REQUEST, "SCIM: a PATCH path's value filter matches nothing (`noTarget`).";
    SCIM_INVALID_VALUE = "scim_invalid_value", BAD_REQUEST, "SCIM: a value is missing, of the wrong type or breaks a rule (`invalidValue`).";
    SCIM_INVALID_SYNTAX = "scim_invalid_syntax", BAD_REQUEST, "SCIM: the request is not a message of the expected schema (`invalidSyntax`).";
    SCIM_MUTABILITY = "scim_mutability", BAD_REQUEST, "SCIM: a read-only or immutable attribute was changed (`mutability`).";
    USER_NOT_PENDING = "user_not_pending", CONFLICT, "Only pending (invited, not yet accepted) users have invitations.";
    MFA_NOT_ENROLLED = "mfa_not_enrolled", CONFLICT, "The user has no second factor enrolled.";
    PASSKEY_REJECTED = "passkey_rejected", UNAUTHORIZED, "A passkey failed the relying party's checks: origin, relying-party id, challenge (single use), user verification, signature, counter or owner.";
    PASSKEY_NOT_FOUND = "passkey_not_found", NOT_FOUND, "No such passkey of the signed-in user.";
    LAST_SECOND_FACTOR = "last_second_factor", CONFLICT, "Removing it would leave the user without the second factor the MFA policy requires.";
    ALREADY_SET_UP = "already_set_up", CONFLICT, "Gatehouse is already set up.";
    SIGNING_KEY_TOO_NEW = "signing_key_too_new", CONFLICT, "A signing-key rotation would activate a key published too recently for clients to have it (`details.retry_after_secs`); wait, or force it (operator CLI).";
}

/// The registered entry of `code`.
pub fn lookup(code: &str) -> Option<&'static ErrorCode> {
    ALL.iter().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_constant_spells_its_code_once() {
        for (name, entry) in NAMES {
            assert_eq!(name.to_lowercase(), entry.code);
        }
        let mut codes: Vec<_> = ALL.iter().map(|c| c.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ALL.len(), "a code is registered twice");
    }
}
