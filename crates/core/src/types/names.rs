//! Human-readable names. Each is trimmed, non-empty where required, bounded in length (in
//! characters, not bytes) and free of control characters.

use crate::error::{Error, Result};

fn checked(
    raw: &str,
    code: &'static str,
    field: &'static str,
    min: usize,
    max: usize,
) -> Result<String> {
    let s = raw.trim();
    let len = s.chars().count();
    if len < min || len > max {
        return Err(Error::invalid(
            code,
            field,
            format!("must be {min} to {max} characters"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(Error::invalid(
            code,
            field,
            "must not contain control characters",
        ));
    }
    Ok(s.to_owned())
}

macro_rules! name_type {
    ($(#[$doc:meta])* $ty:ident, $code:literal, $field:literal, $min:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(String);

        impl $ty {
            pub fn parse(raw: &str) -> Result<Self> {
                checked(raw, $code, $field, $min, $max).map(Self)
            }
        }

        super::string_newtype!($ty);
    };
}

name_type!(/// A business's display name.
    BusinessName, "invalid_name", "name", 1, 200);
name_type!(/// A tenant's display name.
    TenantName, "invalid_name", "name", 1, 200);
name_type!(/// A group's name: 1–100 characters, unique per business ignoring case.
    GroupName, "invalid_group_name", "name", 1, 100);
name_type!(/// A person's display name (may be empty).
    DisplayName, "invalid_display_name", "display_name", 0, 200);
name_type!(/// An API key's label.
    ApiKeyName, "invalid_name", "name", 1, 100);
name_type!(/// Free text describing a group.
    Description, "invalid_description", "description", 0, 1000);

impl GroupName {
    /// The key that makes names unique per business regardless of case.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names() {
        assert_eq!(
            GroupName::parse("  Compliance UK ").unwrap().as_str(),
            "Compliance UK"
        );
        assert_eq!(
            GroupName::parse("").unwrap_err().code(),
            "invalid_group_name"
        );
        assert!(GroupName::parse(&"é".repeat(100)).is_ok());
        assert!(GroupName::parse(&"é".repeat(101)).is_err());
        assert!(GroupName::parse("a\u{0}b").is_err());
        assert_eq!(
            GroupName::parse("Regional Admins").unwrap().key(),
            "regional admins"
        );
    }

    #[test]
    fn display_name_may_be_empty() {
        assert_eq!(DisplayName::parse("  ").unwrap().as_str(), "");
    }
}
