//! Why a decision came out as it did.

/// Why a decision came out as it did. Stable codes for the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Granted,
    NoGrant,
    /// The user is pending, locked or deactivated.
    UserInactive,
    UserUnknown,
    TenantUnknown,
    PermissionUnknown,
    /// The grant exists but the MFA policy requires an enrolment the user lacks.
    MfaRequired,
}

impl Reason {
    pub const ALL: [Self; 7] = [
        Self::Granted,
        Self::NoGrant,
        Self::UserInactive,
        Self::UserUnknown,
        Self::TenantUnknown,
        Self::PermissionUnknown,
        Self::MfaRequired,
    ];

    /// The stable code, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::NoGrant => "no_grant",
            Self::UserInactive => "user_inactive",
            Self::UserUnknown => "user_unknown",
            Self::TenantUnknown => "tenant_unknown",
            Self::PermissionUnknown => "permission_unknown",
            Self::MfaRequired => "mfa_required",
        }
    }
}
