//! Signing and verification end to end, and every way a forged or altered token is refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use data_encoding::BASE64URL_NOPAD;
use serde_json::{Value, json};

use crate::*;

/// Keys are slow to make (RSA): one of each for the whole test binary.
fn keys() -> &'static (SigningKey, SigningKey) {
    static KEYS: OnceLock<(SigningKey, SigningKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        (
            SigningKey::generate(SigningAlg::Es256, RsaKeySize::default()).unwrap(),
            SigningKey::generate(SigningAlg::Rs256, RsaKeySize::default()).unwrap(),
        )
    })
}

fn verifiers() -> Vec<VerifyingKey> {
    let (ec, rsa) = keys();
    vec![ec.verifying_key().unwrap(), rsa.verifying_key().unwrap()]
}

fn claims() -> Value {
    json!({"iss": "https://id.example.com/b/acme", "sub": "u1", "aud": "app", "exp": 2_000_000_000})
}

fn b64(v: &Value) -> String {
    BASE64URL_NOPAD.encode(v.to_string().as_bytes())
}

/// A token whose header is `header` and whose signature is `signature`.
fn forged(header: Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(&header),
        b64(claims),
        BASE64URL_NOPAD.encode(signature)
    )
}

#[test]
fn both_algorithms_sign_and_verify() {
    let (ec, rsa) = keys();
    for key in [ec, rsa] {
        let token = sign(key, "JWT", &claims()).unwrap();
        let (header, got): (Header, Value) = verify(&verifiers(), &token, &["JWT"]).unwrap();
        assert_eq!(got, claims());
        assert_eq!(header.alg, key.alg().as_str());
        assert_eq!(header.kid.as_deref(), Some(key.kid()));
        assert_eq!(header.typ.as_deref(), Some("JWT"));
    }
}

#[test]
fn keys_have_thumbprint_ids_and_round_trip_through_pkcs8() {
    let (ec, rsa) = keys();
    assert_eq!(ec.kid().len(), 43, "SHA-256, base64url");
    assert_ne!(ec.kid(), rsa.kid());
    for key in [ec, rsa] {
        let again = SigningKey::from_pkcs8(key.alg(), key.pkcs8_der()).unwrap();
        assert_eq!(again.kid(), key.kid());
        assert_eq!(again.public_jwk(), key.public_jwk());
        // Re-parsing the JWK gives the same id (the thumbprint is of the key, not random).
        let parsed: Jwk = serde_json::from_str(&key.public_jwk().to_json()).unwrap();
        assert_eq!(VerifyingKey::from_jwk(&parsed).unwrap().kid(), key.kid());
    }
    assert!(SigningKey::from_pkcs8(SigningAlg::Rs256, ec.pkcs8_der()).is_err());
    assert!(SigningKey::from_pkcs8(SigningAlg::Es256, rsa.pkcs8_der()).is_err());
    assert!(SigningKey::from_pkcs8(SigningAlg::Es256, b"junk").is_err());
}

#[test]
fn the_jwks_holds_public_parts_only() {
    let (ec, rsa) = keys();
    let jwks = Jwks {
        keys: vec![ec.public_jwk().clone(), rsa.public_jwk().clone()],
    };
    let json: Value = serde_json::from_str(&jwks.to_json()).unwrap();
    let ec_jwk = &json["keys"][0];
    assert_eq!(ec_jwk["kty"], "EC");
    assert_eq!(ec_jwk["crv"], "P-256");
    assert_eq!(ec_jwk["alg"], "ES256");
    assert_eq!(ec_jwk["use"], "sig");
    let rsa_jwk = &json["keys"][1];
    assert_eq!(rsa_jwk["kty"], "RSA");
    assert_eq!(rsa_jwk["e"], "AQAB");
    assert_eq!(
        BASE64URL_NOPAD
            .decode(rsa_jwk["n"].as_str().unwrap().as_bytes())
            .unwrap()
            .len(),
        256
    );
    for k in json["keys"].as_array().unwrap() {
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(k.get(private).is_none(), "{private} published");
        }
    }
}

#[test]
fn debug_never_shows_the_private_key() {
    let (ec, _) = keys();
    let shown = format!("{ec:?}");
    assert!(
        shown.contains(ec.kid()) && shown.contains("<redacted>"),
        "{shown}"
    );
    let der_b64 = BASE64URL_NOPAD.encode(ec.pkcs8_der());
    assert!(!shown.contains(&der_b64[..20]));
}

#[test]
fn alg_none_is_refused() {
    let (ec, _) = keys();
    for alg in ["none", "None", "NONE", ""] {
        let token = forged(
            json!({"alg": alg, "kid": ec.kid(), "typ": "JWT"}),
            &claims(),
            b"",
        );
        let token = token.trim_end_matches('.').to_owned() + ".";
        assert!(
            matches!(
                verify::<Value>(&verifiers(), &token, &["JWT"]),
                Err(JwtError::UnsupportedAlgorithm(_))
            ),
            "{alg}"
        );
    }
}

#[test]
fn hmac_keyed_with_the_public_key_is_refused() {
    use aws_lc_rs::hmac;
    let (ec, rsa) = keys();
    for key in [ec, rsa] {
        for alg in ["HS256", "HS384", "HS512"] {
            let header = json!({"alg": alg, "kid": key.kid(), "typ": "JWT"});
            let input = format!("{}.{}", b64(&header), b64(&claims()));
            // The classic confusion: the verifier's public key used as the HMAC secret.
            let secret = key.public_jwk().to_json();
            let tag = hmac::sign(
                &hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()),
                input.as_bytes(),
            );
            let token = format!("{input}.{}", BASE64URL_NOPAD.encode(tag.as_ref()));
            assert_eq!(
                verify::<Value>(&verifiers(), &token, &["JWT"]).unwrap_err(),
                JwtError::UnsupportedAlgorithm(alg.to_owned())
            );
        }
    }
}

#[test]
fn unknown_kid_missing_kid_and_alg_mismatch_are_refused() {
    let (ec, rsa) = keys();
    let token = sign(ec, "JWT", &claims()).unwrap();
    // Verified against a set without the key.
    let only_rsa = vec![rsa.verifying_key().unwrap()];
    assert_eq!(
        verify::<Value>(&only_rsa, &token, &["JWT"]).unwrap_err(),
        JwtError::UnknownKey
    );
    // No kid at all.
    let input = format!(
        "{}.{}",
        b64(&json!({"alg": "ES256", "typ": "JWT"})),
        b64(&claims())
    );
    let sig = ec.sign_bytes(input.as_bytes()).unwrap();
    let token = format!("{input}.{}", BASE64URL_NOPAD.encode(&sig));
    assert_eq!(
        verify::<Value>(&verifiers(), &token, &["JWT"]).unwrap_err(),
        JwtError::MissingKeyId
    );
    // An RS256 header naming the EC key, signed with the RSA key.
    let input = format!(
        "{}.{}",
        b64(&json!({"alg": "RS256", "kid": ec.kid(), "typ": "JWT"})),
        b64(&claims())
    );
    let sig = rsa.sign_bytes(input.as_bytes()).unwrap();
    let token = format!("{input}.{}", BASE64URL_NOPAD.encode(&sig));
    assert_eq!(
        verify::<Value>(&verifiers(), &token, &["JWT"]).unwrap_err(),
        JwtError::AlgorithmMismatch
    );
}

#[test]
fn tampering_is_detected() {
    let (ec, rsa) = keys();
    for key in [ec, rsa] {
        let token = sign(key, "JWT", &claims()).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        // Another payload under the same header and signature.
        let mut altered = claims();
        altered["sub"] = json!("admin");
        let swapped = format!("{}.{}.{}", parts[0], b64(&altered), parts[2]);
        assert_eq!(
            verify::<Value>(&verifiers(), &swapped, &["JWT"]).unwrap_err(),
            JwtError::InvalidSignature
        );
        // One bit of the signature flipped.
        let mut sig = BASE64URL_NOPAD.decode(parts[2].as_bytes()).unwrap();
        sig[7] ^= 1;
        let flipped = format!("{}.{}.{}", parts[0], parts[1], BASE64URL_NOPAD.encode(&sig));
        assert_eq!(
            verify::<Value>(&verifiers(), &flipped, &["JWT"]).unwrap_err(),
            JwtError::InvalidSignature
        );
        // A signature cut short, or empty.
        let short = format!("{}.{}.{}", parts[0], parts[1], &parts[2][..10]);
        assert!(verify::<Value>(&verifiers(), &short, &["JWT"]).is_err());
        let empty = format!("{}.{}.", parts[0], parts[1]);
        assert_eq!(
            verify::<Value>(&verifiers(), &empty, &["JWT"]).unwrap_err(),
            JwtError::InvalidSignature
        );
    }
}

#[test]
fn the_type_must_be_expected() {
    let (ec, _) = keys();
    let access = sign(ec, "at+jwt", &claims()).unwrap();
    assert_eq!(
        verify::<Value>(&verifiers(), &access, &["JWT"]).unwrap_err(),
        JwtError::UnexpectedType("at+jwt".to_owned())
    );
    assert!(verify::<Value>(&verifiers(), &access, &["at+jwt"]).is_ok());
    assert!(verify::<Value>(&verifiers(), &access, &["JWT", "application/at+jwt"]).is_ok());
    let logout = sign(ec, "logout+jwt", &claims()).unwrap();
    assert!(verify::<Value>(&verifiers(), &logout, &["JWT", "at+jwt"]).is_err());
}

#[test]
fn critical_extensions_and_malformed_tokens_are_refused() {
    let (ec, _) = keys();
    let header =
        json!({"alg": "ES256", "kid": ec.kid(), "typ": "JWT", "crit": ["b64"], "b64": false});
    let input = format!("{}.{}", b64(&header), b64(&claims()));
    let sig = ec.sign_bytes(input.as_bytes()).unwrap();
    let token = format!("{input}.{}", BASE64URL_NOPAD.encode(&sig));
    assert_eq!(
        verify::<Value>(&verifiers(), &token, &["JWT"]).unwrap_err(),
        JwtError::CriticalExtension
    );
    let good = sign(ec, "JWT", &claims()).unwrap();
    for bad in [
        "",
        "a.b",
        "a.b.c.d",
        &format!("{good}.x"),
        &good.replacen('.', "=.", 1),
        &format!("e30.{}", good.split('.').nth(1).unwrap()),
    ] {
        assert!(
            verify::<Value>(&verifiers(), bad, &["JWT"]).is_err(),
            "{bad}"
        );
    }
    let duplicate = format!(
        r#"{{"alg":"HS256","alg":"ES256","kid":"{}","typ":"JWT"}}"#,
        ec.kid()
    );
    let token = format!(
        "{}.{}.{}",
        BASE64URL_NOPAD.encode(duplicate.as_bytes()),
        b64(&claims()),
        good.split('.').nth(2).unwrap()
    );
    assert_eq!(
        verify::<Value>(&verifiers(), &token, &["JWT"]).unwrap_err(),
        JwtError::InvalidHeader
    );
    let huge = "a".repeat(MAX_TOKEN_BYTES + 1);
    assert_eq!(
        verify::<Value>(&verifiers(), &huge, &["JWT"]).unwrap_err(),
        JwtError::TooLarge
    );
}

#[test]
fn a_general_purpose_library_verifies_our_tokens_with_the_jwk() {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, jwk::Jwk as LibJwk};
    let (ec, rsa) = keys();
    for (key, alg) in [(ec, Algorithm::ES256), (rsa, Algorithm::RS256)] {
        let token = sign(key, "JWT", &claims()).unwrap();
        let jwk: LibJwk = serde_json::from_str(&key.public_jwk().to_json()).unwrap();
        let mut validation = Validation::new(alg);
        validation.set_audience(&["app"]);
        validation.set_issuer(&["https://id.example.com/b/acme"]);
        let data =
            decode::<Value>(&token, &DecodingKey::from_jwk(&jwk).unwrap(), &validation).unwrap();
        assert_eq!(data.claims["sub"], "u1");
        assert_eq!(data.header.kid.as_deref(), Some(key.kid()));
    }
}

#[test]
fn tokens_of_a_general_purpose_library_verify_with_our_keys() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header as LibHeader, encode};
    let (ec, _) = keys();
    let mut header = LibHeader::new(Algorithm::ES256);
    header.kid = Some(ec.kid().to_owned());
    let token = encode(
        &header,
        &claims(),
        &EncodingKey::from_ec_der(ec.pkcs8_der()),
    )
    .unwrap();
    let (_, got): (Header, Value) = verify(&verifiers(), &token, &["JWT"]).unwrap();
    assert_eq!(got, claims());
}

#[test]
fn algorithms_parse_exactly() {
    assert_eq!(SigningAlg::parse("ES256"), Some(SigningAlg::Es256));
    assert_eq!(SigningAlg::parse("RS256"), Some(SigningAlg::Rs256));
    for bad in ["es256", "HS256", "none", "PS256", "ES384", ""] {
        assert_eq!(SigningAlg::parse(bad), None, "{bad}");
    }
    assert_eq!(RsaKeySize::from_bits(3072), Some(RsaKeySize::Bits3072));
    assert_eq!(RsaKeySize::from_bits(1024), None);
}

#[test]
fn discovery_lists_the_endpoints_under_the_issuer() {
    let m = ProviderMetadata::new("https://id.example.com/b/acme/");
    let v: Value = serde_json::from_str(&m.to_json()).unwrap();
    assert_eq!(v["issuer"], "https://id.example.com/b/acme");
    assert_eq!(
        v["authorization_endpoint"],
        "https://id.example.com/b/acme/oauth2/authorize"
    );
    assert_eq!(v["jwks_uri"], "https://id.example.com/b/acme/oauth2/jwks");
    assert_eq!(
        v["end_session_endpoint"],
        "https://id.example.com/b/acme/oauth2/logout"
    );
    assert_eq!(v["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        v["id_token_signing_alg_values_supported"],
        json!(["ES256", "RS256"])
    );
    assert_eq!(v["response_types_supported"], json!(["code"]));
    assert_eq!(v["authorization_response_iss_parameter_supported"], true);
}
