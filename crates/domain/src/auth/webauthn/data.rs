//! The two structures every ceremony signs or hashes: the client data (JSON the browser
//! wrote: type, challenge, origin) and the authenticator data (binary: relying-party id hash,
//! flags, signature counter, and at registration the new credential).

use ciborium::value::Value;
use data_encoding::BASE64URL_NOPAD;
use serde::Deserialize;

use crate::error::{Error, Result};

fn rejected(why: &'static str) -> Error {
    Error::PasskeyRejected(why)
}

/// What the browser says about the ceremony, in `clientDataJSON`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ClientData {
    #[serde(rename = "type")]
    pub(super) kind: String,
    pub(super) challenge: String,
    pub(super) origin: String,
    #[serde(default)]
    pub(super) cross_origin: bool,
    #[serde(default)]
    pub(super) top_origin: Option<String>,
}

impl ClientData {
    /// Parses the client data and checks it against the ceremony: its type
    /// (`webauthn.create` or `webauthn.get`), the exact origin, no cross-origin frame, and
    /// returns the challenge it names (decoded).
    pub(super) fn check(raw: &[u8], kind: &str, origin: &str) -> Result<Vec<u8>> {
        let data: ClientData =
            serde_json::from_slice(raw).map_err(|_| rejected("the client data is not valid"))?;
        if data.kind != kind {
            return Err(rejected("the client data is for another ceremony"));
        }
        if data.origin != origin {
            return Err(rejected("the origin is not this site's"));
        }
        if data.cross_origin || data.top_origin.is_some_and(|top| top != origin) {
            return Err(rejected("the ceremony ran in a frame of another site"));
        }
        BASE64URL_NOPAD
            .decode(data.challenge.as_bytes())
            .map_err(|_| rejected("the challenge is not valid"))
    }
}

/// Authenticator data flags (WebAuthn §6.1).
const UP: u8 = 0x01;
const UV: u8 = 0x04;
const BE: u8 = 0x08;
const BS: u8 = 0x10;
const AT: u8 = 0x40;

/// The credential an authenticator created (the attested credential data).
#[derive(Debug)]
pub(super) struct AttestedCredential {
    pub(super) aaguid: [u8; 16],
    pub(super) id: Vec<u8>,
    pub(super) public_key: Value,
    /// The COSE key exactly as sent, to store.
    pub(super) public_key_bytes: Vec<u8>,
}

/// Parsed authenticator data.
#[derive(Debug)]
pub(super) struct AuthData {
    pub(super) rp_id_hash: [u8; 32],
    pub(super) user_present: bool,
    pub(super) user_verified: bool,
    pub(super) backup_eligible: bool,
    pub(super) backed_up: bool,
    pub(super) sign_count: u32,
    pub(super) credential: Option<AttestedCredential>,
}

impl AuthData {
    pub(super) fn parse(raw: &[u8]) -> Result<Self> {
        let short = || rejected("the authenticator data is too short");
        let rp_id_hash: [u8; 32] = raw
            .get(..32)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(short)?;
        let flags = *raw.get(32).ok_or_else(short)?;
        let count: [u8; 4] = raw
            .get(33..37)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(short)?;
        let backup_eligible = flags & BE != 0;
        let backed_up = flags & BS != 0;
        if backed_up && !backup_eligible {
            return Err(rejected("backed up but not backup-eligible"));
        }
        let credential = if flags & AT != 0 {
            Some(attested(raw.get(37..).ok_or_else(short)?)?)
        } else {
            None
        };
        Ok(AuthData {
            rp_id_hash,
            user_present: flags & UP != 0,
            user_verified: flags & UV != 0,
            backup_eligible,
            backed_up,
            sign_count: u32::from_be_bytes(count),
            credential,
        })
    }
}

fn attested(rest: &[u8]) -> Result<AttestedCredential> {
    let short = || rejected("the attested credential data is too short");
    let aaguid: [u8; 16] = rest
        .get(..16)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(short)?;
    let len = rest
        .get(16..18)
        .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        .ok_or_else(short)?;
    if len == 0 || len > 1023 {
        return Err(rejected("the credential id has a wrong length"));
    }
    let id = rest.get(18..18 + len).ok_or_else(short)?.to_vec();
    let key_and_ext = rest.get(18 + len..).ok_or_else(short)?;
    // The COSE key is one CBOR item; extensions may follow it.
    let mut reader = key_and_ext;
    let public_key: Value = ciborium::de::from_reader(&mut reader)
        .map_err(|_| rejected("the public key is not valid CBOR"))?;
    let used = key_and_ext.len() - reader.len();
    Ok(AttestedCredential {
        aaguid,
        id,
        public_key,
        public_key_bytes: key_and_ext[..used].to_vec(),
    })
}

/// The parts of an attestation object: its format (recorded) and the authenticator data.
pub(super) fn attestation_object(raw: &[u8]) -> Result<(String, Vec<u8>)> {
    let value: Value = ciborium::de::from_reader(raw)
        .map_err(|_| rejected("the attestation object is not valid CBOR"))?;
    let map = value
        .as_map()
        .ok_or_else(|| rejected("the attestation object is not a map"))?;
    let field = |name: &str| {
        map.iter()
            .find(|(k, _)| k.as_text() == Some(name))
            .map(|(_, v)| v)
    };
    let fmt = field("fmt")
        .and_then(Value::as_text)
        .ok_or_else(|| rejected("the attestation object has no format"))?;
    let auth_data = field("authData")
        .and_then(Value::as_bytes)
        .ok_or_else(|| rejected("the attestation object has no authenticator data"))?;
    if fmt.is_empty() || fmt.len() > 32 {
        return Err(rejected("the attestation format is not valid"));
    }
    Ok((fmt.to_owned(), auth_data.clone()))
}
