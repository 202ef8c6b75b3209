//! The relying party's checks against a software authenticator, and the key types it reads.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use ciborium::value::Value;
use data_encoding::BASE64URL_NOPAD;

use super::authenticator::SoftAuthenticator;
use super::*;
use crate::error::{Error, Result};

const ORIGIN: &str = "https://id.example.com";

fn rp() -> RelyingParty {
    RelyingParty::from_public_url("https://id.example.com/").unwrap()
}

fn accept(expected: &'static [u8]) -> impl FnOnce(&[u8]) -> Result<()> {
    move |got| {
        if got == expected {
            Ok(())
        } else {
            Err(Error::PasskeyRejected("another challenge"))
        }
    }
}

fn reason(e: Error) -> &'static str {
    match e {
        Error::PasskeyRejected(why) => why,
        other => panic!("not a refusal: {other:?}"),
    }
}

fn registered(key: &mut SoftAuthenticator) -> NewCredential {
    let json = key.register(&BASE64URL_NOPAD.encode(b"c1"));
    let response: RegistrationResponse = serde_json::from_value(json).unwrap();
    rp().register(&response, accept(b"c1")).unwrap().1
}

#[test]
fn the_relying_party_is_the_public_url() {
    let rp = RelyingParty::from_public_url("https://ID.example.com:8443/base/").unwrap();
    assert_eq!(rp.id, "id.example.com");
    assert_eq!(rp.origin, "https://id.example.com:8443");
}

#[test]
fn registration_then_assertions() {
    let mut key = SoftAuthenticator::new(ORIGIN, b"cred");
    let cred = registered(&mut key);
    assert_eq!(
        (cred.algorithm, cred.attestation_format.as_str()),
        (ES256, "none")
    );
    assert_eq!(cred.id, b"cred");
    let known = KnownCredential {
        public_key: &cred.public_key,
        sign_count: cred.sign_count,
        backup_eligible: false,
    };
    let json = key.assert(&BASE64URL_NOPAD.encode(b"c2"), None);
    let response: AssertionResponse = serde_json::from_value(json).unwrap();
    assert_eq!(rp().assertion_challenge(&response).unwrap(), b"c2");
    let outcome = rp().assert(&response, known, true).unwrap();
    assert!(outcome.user_verified && outcome.sign_count > cred.sign_count);

    // The same response against the counter it moved to: a clone, or a replay.
    let later = KnownCredential {
        sign_count: outcome.sign_count,
        ..known
    };
    assert!(reason(rp().assert(&response, later, true).unwrap_err()).contains("counter"));

    // A signature over other data.
    let mut tampered = response.clone();
    tampered.response.client_data_json = BASE64URL_NOPAD.encode(
        &serde_json::to_vec(&serde_json::json!({
            "type": "webauthn.get", "challenge": BASE64URL_NOPAD.encode(b"c3"), "origin": ORIGIN,
        }))
        .unwrap(),
    );
    assert_eq!(
        reason(rp().assert(&tampered, known, true).unwrap_err()),
        "the signature is not valid"
    );
}

#[test]
fn the_ceremony_type_and_frame_are_checked() {
    let mut key = SoftAuthenticator::new(ORIGIN, b"cred");
    let cred = registered(&mut key);
    let known = KnownCredential {
        public_key: &cred.public_key,
        sign_count: 0,
        backup_eligible: false,
    };
    // A registration's client data offered as an assertion's.
    let created = key.register(&BASE64URL_NOPAD.encode(b"c4"));
    let mut json = key.assert(&BASE64URL_NOPAD.encode(b"c4"), None);
    json["response"]["clientDataJSON"] = created["response"]["clientDataJSON"].clone();
    let response: AssertionResponse = serde_json::from_value(json).unwrap();
    assert!(reason(rp().assert(&response, known, false).unwrap_err()).contains("another ceremony"));

    // Run inside another site's frame.
    let framed = serde_json::json!({
        "type": "webauthn.get", "challenge": "YQ", "origin": ORIGIN, "crossOrigin": true,
    });
    let mut json = key.assert("YQ", None);
    json["response"]["clientDataJSON"] =
        BASE64URL_NOPAD.encode(framed.to_string().as_bytes()).into();
    let response: AssertionResponse = serde_json::from_value(json).unwrap();
    assert!(reason(rp().assertion_challenge(&response).unwrap_err()).contains("frame"));
}

#[test]
fn an_unknown_challenge_is_refused_before_anything_is_kept() {
    let mut key = SoftAuthenticator::new(ORIGIN, b"cred");
    let json = key.register(&BASE64URL_NOPAD.encode(b"forged"));
    let response: RegistrationResponse = serde_json::from_value(json).unwrap();
    let refused = rp().register(&response, accept(b"c1")).unwrap_err();
    assert_eq!(reason(refused), "another challenge");
}

#[test]
fn ed25519_keys_verify() {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let cose = Value::Map(vec![
        (Value::from(1), Value::from(1)),
        (Value::from(3), Value::from(-8)),
        (Value::from(-1), Value::from(6)),
        (
            Value::from(-2),
            Value::Bytes(pair.public_key().as_ref().to_vec()),
        ),
    ]);
    let mut raw = Vec::new();
    ciborium::ser::into_writer(&cose, &mut raw).unwrap();
    let (alg, key) = PublicKey::from_cose_bytes(&raw).unwrap();
    assert_eq!(alg, EDDSA);
    let sig = pair.sign(b"signed data");
    assert!(key.verify(b"signed data", sig.as_ref()));
    assert!(!key.verify(b"other data", sig.as_ref()));
}

#[test]
fn unsupported_or_misshapen_keys_are_refused() {
    let es256_wrong_curve = Value::Map(vec![
        (Value::from(1), Value::from(2)),
        (Value::from(3), Value::from(-7)),
        (Value::from(-1), Value::from(2)),
        (Value::from(-2), Value::Bytes(vec![1; 48])),
        (Value::from(-3), Value::Bytes(vec![1; 48])),
    ]);
    assert!(PublicKey::from_cose(&es256_wrong_curve).is_err());
    let short_rsa = Value::Map(vec![
        (Value::from(1), Value::from(3)),
        (Value::from(3), Value::from(-257)),
        (Value::from(-1), Value::Bytes(vec![0xc3; 128])),
        (Value::from(-2), Value::Bytes(vec![1, 0, 1])),
    ]);
    assert!(reason(PublicKey::from_cose(&short_rsa).unwrap_err()).contains("2048"));
}
