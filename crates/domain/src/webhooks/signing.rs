//! Standard Webhooks signatures: a secret `whsec_<base64>`, and per delivery the headers
//! `webhook-id`, `webhook-timestamp` and `webhook-signature` = `v1,<base64 HMAC-SHA256 of
//! "id.timestamp.body">` — one per secret that currently signs, separated by spaces.

use data_encoding::BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::auth::Entropy;
use crate::auth::entropy::random;
use crate::error::{Error, Result};

/// The prefix of a secret as shown.
pub const SECRET_PREFIX: &str = "whsec_";

/// An endpoint's signing secret (24 random bytes). Shown once when made or rotated; kept
/// sealed at rest; hidden from `Debug`.
#[derive(Clone)]
pub struct WebhookSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

impl WebhookSecret {
    pub fn generate(entropy: &dyn Entropy) -> Result<Self> {
        Ok(Self(Zeroizing::new(random::<24>(entropy)?.to_vec())))
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// `whsec_<base64>`, as the receiver configures it.
    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", BASE64.encode(&self.0))
    }

    /// A secret as shown (`whsec_…`).
    pub fn parse(raw: &str) -> Result<Self> {
        let bytes = raw
            .strip_prefix(SECRET_PREFIX)
            .and_then(|b| BASE64.decode(b.as_bytes()).ok())
            .ok_or_else(|| Error::Storage("not a webhook secret".to_owned()))?;
        Ok(Self::from_bytes(bytes))
    }
}

/// One `v1,<base64>` signature of a delivery.
pub fn signature(secret: &WebhookSecret, id: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes a key of any length; the fallback is never taken.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("v1,{}", BASE64.encode(&mac.finalize().into_bytes()))
}

/// The `webhook-signature` header: one signature per secret, space-separated.
pub fn signature_header(secrets: &[WebhookSecret], id: &str, timestamp: i64, body: &str) -> String {
    secrets
        .iter()
        .map(|s| signature(s, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_reference_vector() {
        // From the Standard Webhooks specification's test vectors.
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = signature(
            &secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(secret.expose().starts_with("whsec_"));
        assert_eq!(format!("{secret:?}"), "WebhookSecret(<redacted>)");
    }
}
