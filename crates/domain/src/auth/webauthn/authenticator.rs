//! A software authenticator for tests (feature `testing`): a P-256 key made with aws-lc-rs,
//! answering registrations and assertions exactly as a security key would, with every flag
//! and the counter open to a test that wants to misbehave.

#![allow(clippy::expect_used)] // a test fixture: a failure to make a key fails the test

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use ciborium::value::Value;
use data_encoding::BASE64URL_NOPAD;
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

/// One credential on a software authenticator.
#[derive(Debug)]
pub struct SoftAuthenticator {
    key: EcdsaKeyPair,
    pub credential_id: Vec<u8>,
    /// The counter the next signature carries (then moves on by one, if `counting`).
    pub counter: u32,
    /// `false`: a counter stuck at 0, as synced passkeys send.
    pub counting: bool,
    /// Whether it says the user was verified.
    pub user_verified: bool,
    pub backup_eligible: bool,
    /// The relying-party id it hashes into its data (a phishing page would use its own).
    pub rp_id: String,
    /// The origin its client writes into the client data.
    pub origin: String,
}

fn b64(bytes: &[u8]) -> String {
    BASE64URL_NOPAD.encode(bytes)
}

impl SoftAuthenticator {
    /// A new credential for the relying party at `origin` (whose host is the rp id).
    pub fn new(origin: &str, credential_id: &[u8]) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .expect("a P-256 key");
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref())
            .expect("the key just made");
        let host = url::Url::parse(origin)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        Self {
            key,
            credential_id: credential_id.to_vec(),
            counter: 1,
            counting: true,
            user_verified: true,
            backup_eligible: false,
            rp_id: host,
            origin: origin.to_owned(),
        }
    }

    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.public_key().as_ref();
        let map = Value::Map(vec![
            (Value::from(1), Value::from(2)),
            (Value::from(3), Value::from(-7)),
            (Value::from(-1), Value::from(1)),
            (Value::from(-2), Value::Bytes(point[1..33].to_vec())),
            (Value::from(-3), Value::Bytes(point[33..65].to_vec())),
        ]);
        let mut out = Vec::new();
        ciborium::ser::into_writer(&map, &mut out).expect("CBOR");
        out
    }

    fn auth_data(&mut self, attested: bool) -> Vec<u8> {
        let mut flags = 0x01u8;
        if self.user_verified {
            flags |= 0x04;
        }
        if self.backup_eligible {
            flags |= 0x08;
        }
        if attested {
            flags |= 0x40;
        }
        let mut data = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        data.push(flags);
        if self.counting {
            data.extend(self.counter.to_be_bytes());
            self.counter += 1;
        } else {
            data.extend(0u32.to_be_bytes());
        }
        if attested {
            data.extend([0u8; 16]);
            data.extend((self.credential_id.len() as u16).to_be_bytes());
            data.extend(&self.credential_id);
            data.extend(self.cose_key());
        }
        data
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        json!({ "type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false })
            .to_string()
            .into_bytes()
    }

    /// `navigator.credentials.create()` for the base64url `challenge`, as the page posts it.
    pub fn register(&mut self, challenge: &str) -> Json {
        let client_data = self.client_data("webauthn.create", challenge);
        let auth_data = self.auth_data(true);
        let object = Value::Map(vec![
            (Value::from("fmt"), Value::from("none")),
            (Value::from("attStmt"), Value::Map(vec![])),
            (Value::from("authData"), Value::Bytes(auth_data)),
        ]);
        let mut att = Vec::new();
        ciborium::ser::into_writer(&object, &mut att).expect("CBOR");
        json!({
            "id": b64(&self.credential_id), "rawId": b64(&self.credential_id), "type": "public-key",
            "response": { "clientDataJSON": b64(&client_data), "attestationObject": b64(&att), "transports": ["internal"] },
            "clientExtensionResults": {},
        })
    }

    /// `navigator.credentials.get()` for the base64url `challenge`, returning `user_handle`
    /// (a discoverable credential does).
    pub fn assert(&mut self, challenge: &str, user_handle: Option<&[u8]>) -> Json {
        let client_data = self.client_data("webauthn.get", challenge);
        let auth_data = self.auth_data(false);
        let signed = [&auth_data[..], &Sha256::digest(&client_data)[..]].concat();
        let sig = self
            .key
            .sign(&SystemRandom::new(), &signed)
            .expect("a signature");
        json!({
            "id": b64(&self.credential_id), "rawId": b64(&self.credential_id), "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data), "authenticatorData": b64(&auth_data),
                "signature": b64(sig.as_ref()), "userHandle": user_handle.map(b64),
            },
            "clientExtensionResults": {},
        })
    }
}
