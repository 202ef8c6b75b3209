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

        super::string_newtype!($ty, name_schema($min, $max));
    };
}

/// Characters `str::trim` removes (Unicode `White_Space`), as a regex class body.
const SPACE: &str = r"\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Control characters (`char::is_control`, Unicode `Cc`).
const CONTROL: &str = r"\u0000-\u001f\u007f-\u009f";

/// The schema of a name `checked` with `min..=max` characters: the pattern says exactly what
/// `checked` accepts (surrounding whitespace, which is trimmed; then `min` to `max`
/// characters, none of them a control character), since `maxLength` would count the
/// whitespace too.
fn name_schema(min: usize, max: usize) -> utoipa::openapi::ObjectBuilder {
    let solid = format!("[^{SPACE}{CONTROL}]");
    let inner = format!("[^{CONTROL}]");
    let core = match max {
        0 => String::new(),
        1 => solid.clone(),
        _ => format!("{solid}(?:{inner}{{0,{}}}{solid})?", max - 2),
    };
    let core = if min == 0 {
        format!("(?:{core})?")
    } else {
        core
    };
    let description = if min == 0 {
        format!(
            "At most {max} characters after trimming surrounding whitespace; no control characters."
        )
    } else {
        format!(
            "{min} to {max} characters after trimming surrounding whitespace; no control characters."
        )
    };
    super::text_schema(&format!("^[{SPACE}]*{core}[{SPACE}]*$"), &description)
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
name_type!(/// An OpenID Connect application's name, shown to administrators and on consent screens.
    ApplicationName, "invalid_name", "name", 1, 100);
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
