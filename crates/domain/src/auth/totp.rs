//! TOTP (RFC 6238 over RFC 4226 HOTP): HMAC-SHA-1, 6 digits, 30-second steps, one step of
//! clock drift accepted either way. A step is accepted once: the caller stores the last
//! accepted step and passes it back, and the same or an older step is refused.

use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Bytes of a secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;

/// The HOTP value of `secret` at `counter`, `digits` long (RFC 4226 §5.3).
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return u32::MAX;
    };
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let binary = (u32::from(hash[offset]) & 0x7f) << 24
        | u32::from(hash[offset + 1]) << 16
        | u32::from(hash[offset + 2]) << 8
        | u32::from(hash[offset + 3]);
    binary % 10_u32.pow(digits)
}

/// The step `t` falls in.
pub fn step_at(t: OffsetDateTime) -> i64 {
    t.unix_timestamp().div_euclid(STEP_SECONDS)
}

/// The 6-digit code at `step`, zero-padded.
pub fn code_at(secret: &[u8], step: i64) -> String {
    let counter = u64::try_from(step).unwrap_or(0);
    format!("{:06}", hotp(secret, counter, DIGITS))
}

/// The step whose code `code` is, among the current one and one either side, if it is newer
/// than `last_used`. Comparisons are constant-time.
pub fn accepted_step(
    secret: &[u8],
    code: &str,
    now: OffsetDateTime,
    last_used: Option<i64>,
) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_at(now);
    let mut found = None;
    for step in [current - 1, current, current + 1] {
        let matches: bool = code_at(secret, step)
            .as_bytes()
            .ct_eq(code.as_bytes())
            .into();
        if matches && found.is_none() {
            found = Some(step);
        }
    }
    found.filter(|step| last_used.is_none_or(|last| *step > last))
}

/// The secret as authenticator apps take it: base32 without padding.
pub fn secret_base32(secret: &[u8]) -> String {
    BASE32_NOPAD.encode(secret)
}

/// The `otpauth://` URI a QR code carries (Google Authenticator's key URI format).
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let label = format!("{}:{}", encode(issuer), encode(account));
    format!(
        "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        secret_base32(secret),
        encode(issuer)
    )
}

/// Percent-encoding of everything but RFC 3986's unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    fn at(unix: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(unix).unwrap()
    }

    /// RFC 6238 Appendix B, the SHA-1 rows (8 digits).
    #[test]
    fn rfc6238_test_vectors() {
        for (t, expected) in [
            (59, 94_287_082),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ] {
            let step = u64::try_from(step_at(at(t))).unwrap();
            assert_eq!(hotp(RFC_SECRET, step, 8), expected, "T={t}");
        }
    }

    /// RFC 4226 Appendix D, for the 6-digit truncation.
    #[test]
    fn rfc4226_test_vectors() {
        let expected = [755_224, 287_082, 359_152, 969_429, 338_314, 254_676];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(RFC_SECRET, counter as u64, 6), *code);
        }
    }

    /// An independent implementation (totp-rs) agrees on random secrets and times.
    #[test]
    fn agrees_with_totp_rs() {
        for i in 0..50_u8 {
            let secret: Vec<u8> = (0..20)
                .map(|j| i.wrapping_mul(31).wrapping_add(j * 7))
                .collect();
            let theirs =
                totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, secret.clone());
            let t = 1_700_000_000 + i64::from(i) * 7_919;
            assert_eq!(
                code_at(&secret, step_at(at(t))),
                theirs.generate(u64::try_from(t).unwrap())
            );
        }
    }

    #[test]
    fn one_step_of_drift_either_way_and_no_replay() {
        let now = at(1_700_000_000);
        let cur = step_at(now);
        let code = |s| code_at(RFC_SECRET, s);
        assert_eq!(accepted_step(RFC_SECRET, &code(cur), now, None), Some(cur));
        assert_eq!(
            accepted_step(RFC_SECRET, &code(cur - 1), now, None),
            Some(cur - 1)
        );
        assert_eq!(
            accepted_step(RFC_SECRET, &code(cur + 1), now, None),
            Some(cur + 1)
        );
        assert_eq!(accepted_step(RFC_SECRET, &code(cur - 2), now, None), None);
        assert_eq!(accepted_step(RFC_SECRET, &code(cur + 2), now, None), None);
        // Replay and older-after-newer.
        assert_eq!(accepted_step(RFC_SECRET, &code(cur), now, Some(cur)), None);
        assert_eq!(
            accepted_step(RFC_SECRET, &code(cur), now, Some(cur + 1)),
            None
        );
        assert_eq!(accepted_step(RFC_SECRET, "12345", now, None), None);
        assert_eq!(accepted_step(RFC_SECRET, "abcdef", now, None), None);
    }

    #[test]
    fn uri_names_issuer_account_and_secret() {
        let uri = otpauth_uri("Acme Corp", "dana@example.com", RFC_SECRET);
        assert_eq!(
            uri,
            "otpauth://totp/Acme%20Corp:dana%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20Corp&algorithm=SHA1&digits=6&period=30"
        );
    }
}
