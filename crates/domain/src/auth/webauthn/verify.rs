//! The relying party's checks of the two ceremonies (WebAuthn Level 3 §7.1 and §7.2): what
//! the browser says (type, challenge, exact origin), what the authenticator signed (the
//! relying-party id hash, user presence and verification, backup flags, the signature
//! counter) and the signature itself.

use data_encoding::BASE64URL_NOPAD;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::cose::PublicKey;
use super::data::{AuthData, ClientData, attestation_object};
use crate::error::{Error, Result};

fn rejected(why: &'static str) -> Error {
    Error::PasskeyRejected(why)
}

fn b64(field: &str) -> Result<Vec<u8>> {
    BASE64URL_NOPAD
        .decode(field.trim_end_matches('=').as_bytes())
        .map_err(|_| rejected("a field is not base64url"))
}

/// Gatehouse as a WebAuthn relying party: its id (the host of `auth.public_url`) and the
/// one origin ceremonies may come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    pub id: String,
    pub origin: String,
    id_hash: [u8; 32],
}

/// `PublicKeyCredential.toJSON()` of a registration, as the page posts it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationResponse {
    pub id: String,
    pub response: AttestationParts,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttestationParts {
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    pub attestation_object: String,
}

/// `PublicKeyCredential.toJSON()` of an assertion, as the page posts it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssertionResponse {
    pub id: String,
    pub response: AssertionParts,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssertionParts {
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    pub authenticator_data: String,
    pub signature: String,
    #[serde(default)]
    pub user_handle: Option<String>,
}

impl AssertionResponse {
    /// The credential id the assertion names, decoded.
    pub fn credential_id(&self) -> Result<Vec<u8>> {
        b64(&self.id)
    }

    /// The user handle the authenticator returned (discoverable credentials), decoded.
    pub fn user_handle(&self) -> Result<Option<Vec<u8>>> {
        match self.response.user_handle.as_deref() {
            None | Some("") => Ok(None),
            Some(h) => b64(h).map(Some),
        }
    }
}

/// A credential the registration ceremony accepted: what to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCredential {
    pub id: Vec<u8>,
    /// The COSE key as the authenticator sent it.
    pub public_key: Vec<u8>,
    pub algorithm: i64,
    pub sign_count: u32,
    pub backup_eligible: bool,
    pub backed_up: bool,
    pub attestation_format: String,
    pub aaguid: [u8; 16],
}

/// What a stored credential brings to an assertion.
#[derive(Debug, Clone, Copy)]
pub struct KnownCredential<'a> {
    pub public_key: &'a [u8],
    pub sign_count: u32,
    pub backup_eligible: bool,
}

/// What an accepted assertion changes on the stored credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssertionOutcome {
    pub sign_count: u32,
    pub backed_up: bool,
    pub user_verified: bool,
}

impl RelyingParty {
    /// The relying party of a public URL: its host is the id, its origin the only origin.
    pub fn from_public_url(public_url: &str) -> Result<Self> {
        let url = url::Url::parse(public_url)
            .map_err(|_| Error::invalid("invalid_public_url", "auth.public_url", "is not a URL"))?;
        let id = url
            .host_str()
            .ok_or_else(|| Error::invalid("invalid_public_url", "auth.public_url", "has no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        Ok(Self {
            id_hash: Sha256::digest(id.as_bytes()).into(),
            origin: url.origin().ascii_serialization(),
            id,
        })
    }

    /// The registration ceremony's checks. `challenge` decides whether the challenge the
    /// client data names is one this relying party issued for this ceremony (and returns
    /// what it carried); user verification is required.
    pub fn register<T>(
        &self,
        response: &RegistrationResponse,
        challenge: impl FnOnce(&[u8]) -> Result<T>,
    ) -> Result<(T, NewCredential)> {
        let client_data = b64(&response.response.client_data_json)?;
        let issued = challenge(&ClientData::check(
            &client_data,
            "webauthn.create",
            &self.origin,
        )?)?;
        let (fmt, raw_auth_data) =
            attestation_object(&b64(&response.response.attestation_object)?)?;
        let auth = AuthData::parse(&raw_auth_data)?;
        self.check_flags(&auth, true)?;
        let cred = auth
            .credential
            .ok_or_else(|| rejected("the response carries no new credential"))?;
        if cred.id != b64(&response.id)? {
            return Err(rejected("the credential id does not match"));
        }
        let (algorithm, _) = PublicKey::from_cose(&cred.public_key)?;
        Ok((
            issued,
            NewCredential {
                id: cred.id,
                public_key: cred.public_key_bytes,
                algorithm,
                sign_count: auth.sign_count,
                backup_eligible: auth.backup_eligible,
                backed_up: auth.backed_up,
                attestation_format: fmt,
                aaguid: cred.aaguid,
            },
        ))
    }

    /// The client data's challenge of an assertion, once its type and origin are checked:
    /// the caller opens it before it looks the credential up.
    pub fn assertion_challenge(&self, response: &AssertionResponse) -> Result<Vec<u8>> {
        ClientData::check(
            &b64(&response.response.client_data_json)?,
            "webauthn.get",
            &self.origin,
        )
    }

    /// The authentication ceremony's checks against the stored credential (whose
    /// challenge the caller has checked with [`RelyingParty::assertion_challenge`]).
    pub fn assert(
        &self,
        response: &AssertionResponse,
        known: KnownCredential<'_>,
        require_uv: bool,
    ) -> Result<AssertionOutcome> {
        let client_data = b64(&response.response.client_data_json)?;
        ClientData::check(&client_data, "webauthn.get", &self.origin)?;
        let raw_auth_data = b64(&response.response.authenticator_data)?;
        let auth = AuthData::parse(&raw_auth_data)?;
        self.check_flags(&auth, require_uv)?;
        if auth.backup_eligible != known.backup_eligible {
            return Err(rejected("the backup eligibility of the credential changed"));
        }
        let (_, key) = PublicKey::from_cose_bytes(known.public_key)?;
        let signed = [&raw_auth_data[..], &Sha256::digest(&client_data)[..]].concat();
        if !key.verify(&signed, &b64(&response.response.signature)?) {
            return Err(rejected("the signature is not valid"));
        }
        // A counter that does not move on while either side has counted means a copy of
        // the authenticator exists (§6.1.1); authenticators that do not count send 0.
        if (auth.sign_count != 0 || known.sign_count != 0) && auth.sign_count <= known.sign_count {
            return Err(rejected(
                "the signature counter went back: a cloned authenticator?",
            ));
        }
        Ok(AssertionOutcome {
            sign_count: auth.sign_count,
            backed_up: auth.backed_up,
            user_verified: auth.user_verified,
        })
    }

    fn check_flags(&self, auth: &AuthData, require_uv: bool) -> Result<()> {
        if auth.rp_id_hash != self.id_hash {
            return Err(rejected("the credential is for another relying party"));
        }
        if !auth.user_present {
            return Err(rejected("the user was not present"));
        }
        if require_uv && !auth.user_verified {
            return Err(rejected("user verification is required"));
        }
        Ok(())
    }
}
