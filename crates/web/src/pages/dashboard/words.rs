//! What the dashboard says: permissions by their labels, errors as sentences a person can
//! act on, and the notices shown after a change.

use axum::http::StatusCode;
use gatehouse_domain::Error;
use gatehouse_domain::catalog::Catalog;
use gatehouse_domain::grants::{GrantScope, ScopedPermission};

use super::super::explain;

/// A permission's label, e.g. `Delete Verification`, or its key when unknown.
pub(crate) fn label(catalog: &Catalog, key: &str) -> String {
    catalog
        .get(key)
        .map_or_else(|| key.to_owned(), |d| d.label.clone())
}

/// `live:verification.delete` → `Delete Verification in Live`.
pub(crate) fn right(catalog: &Catalog, scoped: &ScopedPermission) -> String {
    let place = match scoped.scope {
        GrantScope::Live => " in Live",
        GrantScope::Sandbox => " in Sandbox",
        GrantScope::Business => "",
    };
    format!("{}{place}", label(catalog, scoped.permission.as_str()))
}

/// The status and sentence of an error, naming rights by their labels.
pub(crate) fn describe(catalog: &Catalog, e: Error) -> (StatusCode, String) {
    match e {
        Error::WouldEscalate { missing } => (
            StatusCode::FORBIDDEN,
            format!(
                "You cannot grant a right you do not hold yourself. Missing: {}.",
                missing
                    .iter()
                    .map(|m| right(catalog, m))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        Error::PermissionDenied { permission } => (
            StatusCode::FORBIDDEN,
            format!(
                "This needs the “{}” permission ({permission}), which you do not have. Ask an administrator of your business.",
                label(catalog, &permission)
            ),
        ),
        Error::SensitiveGrantUnacknowledged { permissions } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "Confirm that you mean to grant the sensitive permissions: {}.",
                permissions
                    .iter()
                    .map(|p| right(catalog, p))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        Error::UserNotFound => (
            StatusCode::NOT_FOUND,
            "There is no such user in this business: the address may be mistyped or out of date.".to_owned(),
        ),
        Error::GroupNotFound => (
            StatusCode::NOT_FOUND,
            "There is no such group: it may have been deleted, or the address is mistyped.".to_owned(),
        ),
        Error::TenantNotFound => (
            StatusCode::NOT_FOUND,
            "There is no such tenant in this business.".to_owned(),
        ),
        Error::ApiKeyNotFound => (
            StatusCode::NOT_FOUND,
            "There is no such API key in this business.".to_owned(),
        ),
        Error::ApplicationNotFound => (
            StatusCode::NOT_FOUND,
            "There is no such application in this business: it may have been deleted.".to_owned(),
        ),
        Error::InvalidCursor => (
            StatusCode::BAD_REQUEST,
            "This page's link is out of date: start again from the first page.".to_owned(),
        ),
        Error::OperatorOnly => (
            StatusCode::FORBIDDEN,
            "Only whoever runs this Gatehouse (the operator) may do this here.".to_owned(),
        ),
        Error::LastAdministrator => (
            StatusCode::CONFLICT,
            "This would leave the business without an active administrator (someone who may both manage users and manage groups). Give those rights to someone else first.".to_owned(),
        ),
        other => {
            let (status, text, _) = explain(other);
            (status, text)
        }
    }
}

/// The sentence a notice code stands for (codes, not text, travel in the address).
pub(crate) fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "invited" => "Invitation sent.",
        "user_saved" => "User saved.",
        "deactivated" => "User deactivated; their sessions have ended.",
        "reactivated" => "User reactivated.",
        "password_reset" => "Password reset link sent; the user's sessions have ended.",
        "mfa_reset" => "Two-step verification reset; the user's sessions have ended.",
        "invitation_resent" => "A new invitation was sent; the previous link no longer works.",
        "invitation_revoked" => "Invitation revoked; the link no longer works.",
        "unlocked" => "User unlocked.",
        "group_created" => "Group created.",
        "group_saved" => "Group saved.",
        "group_deleted" => "Group deleted.",
        "member_added" => "Member added.",
        "member_removed" => "Member removed.",
        "settings_saved" => "Security settings saved.",
        "provisioning_saved" => "Provisioning settings saved.",
        "thresholds_saved" => "Access health thresholds saved.",
        "access_requested" => "Request sent; an administrator will approve or deny it.",
        "request_approved" => "Request approved; the access ends at the time shown.",
        "request_denied" => "Request denied.",
        "owner_added" => "Owner added.",
        "owner_removed" => "Owner removed.",
        "review_started" => "Access review started; its reviewers have been mailed.",
        "review_decided" => "Decision recorded.",
        "review_removed" => "Membership removed; the user's access through the group has ended.",
        "review_closed" => "Access review closed; its report is stored.",
        "digest_saved" => "Weekly digest preference saved.",
        "key_revoked" => "API key revoked; it no longer works.",
        "application_created" => "Application registered.",
        "application_saved" => "Application saved.",
        "application_deleted" => "Application deleted; nobody can sign in through it any more.",
        "password_changed" => "Password changed; your other sessions have ended.",
        "session_revoked" => "Session signed out.",
        "passkey_added" => "Passkey added.",
        "passkey_removed" => "Passkey removed.",
        "tenant_created" => {
            "Tenant added. Business groups cover it at once; add it to Tenants groups where it belongs."
        }
        "tenant_renamed" => "Tenant renamed.",
        "webhook_saved" => "Webhook endpoint saved.",
        "delivery_replayed" => "Delivery queued again; it goes out after everything before it.",
        "bulk_no_action" => "Choose what to do with the ticked users.",
        "bulk_no_users" => "Tick the users to act on first.",
        "bulk_no_group" => "Choose the group to add the ticked users to or remove them from.",
        _ => return None,
    })
}
