//! What Gatehouse keeps of a passkey, and which second factor a sign-in passed.

use time::OffsetDateTime;

use crate::ids::{BusinessId, PasskeyId, UserId};

/// A registered passkey (WebAuthn credential) of one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passkey {
    pub id: PasskeyId,
    pub business_id: BusinessId,
    pub user_id: UserId,
    /// The credential id, base64url (unique across the deployment).
    pub credential_id: String,
    /// The user's name for it ("Laptop", "YubiKey").
    pub name: String,
    /// The COSE public key as the authenticator sent it.
    pub public_key: Vec<u8>,
    pub algorithm: i64,
    /// The signature counter last seen (0: the authenticator does not count).
    pub sign_count: u32,
    /// Fixed at registration: whether it may be synced to other devices.
    pub backup_eligible: bool,
    /// As last reported: whether it is synced.
    pub backed_up: bool,
    /// The attestation format it came with (recorded, not verified).
    pub attestation_format: String,
    /// The authenticator model's AAGUID, hex (all zeros when not disclosed).
    pub aaguid: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

/// Which second factor a session's sign-in passed: OpenID Connect's `amr` and `acr` say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaMethod {
    /// A password, then a TOTP code.
    Totp,
    /// A password, then a recovery code.
    Recovery,
    /// A password, then a passkey.
    Passkey,
    /// A passkey with user verification alone (passwordless).
    PasskeyOnly,
}

impl MfaMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            MfaMethod::Totp => "totp",
            MfaMethod::Recovery => "recovery",
            MfaMethod::Passkey => "passkey",
            MfaMethod::PasskeyOnly => "passkey_only",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            MfaMethod::Totp,
            MfaMethod::Recovery,
            MfaMethod::Passkey,
            MfaMethod::PasskeyOnly,
        ]
        .into_iter()
        .find(|m| m.as_str() == raw)
    }

    /// Whether the factor resists phishing (bound to the origin by the browser).
    pub fn phishing_resistant(self) -> bool {
        matches!(self, MfaMethod::Passkey | MfaMethod::PasskeyOnly)
    }
}
