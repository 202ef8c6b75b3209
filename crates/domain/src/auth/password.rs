//! Password rules (NIST SP 800-63B): long enough, not common, not made of the account's own
//! names; no composition rules, any Unicode, never truncated.

use zxcvbn::{Score, zxcvbn};

use crate::error::{Error, Result};

/// The service's own name: as guessable in its passwords as the business's.
pub const PRODUCT_NAME: &str = "Gatehouse";

/// The longest password any policy allows, in characters.
pub const LONGEST_MAX_CHARS: usize = 1024;

/// The longest input, in bytes, that is ever hashed or verified: the longest password in
/// four-byte characters. Anything longer is refused before argon2 runs.
pub const MAX_PASSWORD_BYTES: usize = 4 * LONGEST_MAX_CHARS;

/// The shortest minimum a deployment may configure.
pub const FLOOR_MIN_CHARS: usize = 8;

/// Length limits, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_chars: usize,
    /// Long enough for any passphrase; the bound only keeps hashing cost sane.
    pub max_chars: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_chars: 12,
            max_chars: LONGEST_MAX_CHARS,
        }
    }
}

fn invalid(code: &'static str, reason: impl Into<String>) -> Error {
    Error::invalid(code, "password", reason)
}

impl PasswordPolicy {
    /// A policy with the minimum raised to the floor if configured below it, and both
    /// bounds within [`LONGEST_MAX_CHARS`].
    pub fn new(min_chars: usize, max_chars: usize) -> Self {
        let min_chars = min_chars.clamp(FLOOR_MIN_CHARS, LONGEST_MAX_CHARS);
        Self {
            min_chars,
            max_chars: max_chars.clamp(min_chars.max(256), LONGEST_MAX_CHARS),
        }
    }

    /// Checks a new password of the account `email` in business `business_name`.
    pub fn check(&self, password: &str, email_local_part: &str, business_name: &str) -> Result<()> {
        let chars = password.chars().count();
        if chars < self.min_chars {
            return Err(invalid(
                "password_too_short",
                format!("must be at least {} characters", self.min_chars),
            ));
        }
        if chars > self.max_chars {
            return Err(invalid(
                "password_too_long",
                format!("must be at most {} characters", self.max_chars),
            ));
        }
        let lower = password.to_lowercase();
        let words = [email_local_part, business_name, PRODUCT_NAME];
        for name in words {
            let name = name.trim().to_lowercase();
            if name.chars().count() >= 3 && lower.contains(&name) {
                return Err(invalid(
                    "password_contains_identity",
                    "must not contain your email name, the business name or the service's name",
                ));
            }
        }
        // zxcvbn knows the common-password lists, keyboard walks, dates and sequences; it
        // reads the first 100 characters, which is all a common password can be.
        if zxcvbn(password, &words).score() < Score::Three {
            return Err(invalid(
                "password_too_common",
                "is too common or too easy to guess; a few unrelated words make a good one",
            ));
        }
        Ok(())
    }
}

/// A recovery code or TOTP code as typed: spaces and dashes dropped, letters upper-cased.
pub fn normalise_code(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pw: &str) -> Result<()> {
        PasswordPolicy::default().check(pw, "dana.k", "Acme Corp")
    }

    #[test]
    fn the_service_name_is_a_personal_word() {
        for pw in [
            "Gatehouse2026!",
            "my gatehouse password",
            "GATEHOUSE-violet-kettle",
        ] {
            assert_eq!(
                check(pw).unwrap_err().code(),
                "password_contains_identity",
                "{pw}"
            );
        }
    }

    #[test]
    fn length_rules() {
        assert_eq!(check("Tr0ub4d!").unwrap_err().code(), "password_too_short");
        assert_eq!(
            check(&"ab€".repeat(400)).unwrap_err().code(),
            "password_too_long"
        );
        // 200 characters of Unicode, counted as characters, not bytes.
        let long: String = "Ünïcödé pässphräse wïth émojï 🦀 "
            .chars()
            .cycle()
            .take(200)
            .collect();
        check(&long).unwrap();
    }

    #[test]
    fn common_and_identity_passwords() {
        for common in [
            "password1234",
            "qwertyuiop12",
            "123456789012",
            "iloveyou2024",
        ] {
            assert_eq!(
                check(common).unwrap_err().code(),
                "password_too_common",
                "{common}"
            );
        }
        assert_eq!(
            check("dana.k-correct-horse-battery").unwrap_err().code(),
            "password_contains_identity"
        );
        assert_eq!(
            check("ACME CORP staple battery horse").unwrap_err().code(),
            "password_contains_identity"
        );
        check("violet kettle marches north").unwrap();
    }

    #[test]
    fn the_floor_holds() {
        let p = PasswordPolicy::new(4, 10);
        assert_eq!(p.min_chars, 8);
        assert!(p.max_chars >= 256);
    }

    #[test]
    fn codes_normalise() {
        assert_eq!(normalise_code(" abcd-efgh ijkl "), "ABCDEFGHIJKL");
    }
}
