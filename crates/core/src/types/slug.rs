use crate::error::{Error, Result};

/// A URL-safe identifier for a business or tenant: 2–63 characters of `a-z`, `0-9` and `-`,
/// starting with a letter, not ending with `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self> {
        let invalid = |reason: &str| Error::invalid("invalid_slug", "slug", reason);
        let s = raw.trim();
        if !(2..=63).contains(&s.len()) {
            return Err(invalid("must be 2 to 63 characters"));
        }
        if !s.starts_with(|c: char| c.is_ascii_lowercase()) || s.ends_with('-') {
            return Err(invalid("must start with a-z and not end with -"));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(invalid("may contain only a-z, 0-9 and -"));
        }
        Ok(Self(s.to_owned()))
    }
}

super::string_newtype!(
    Slug,
    super::text_schema(
        "^[a-z][a-z0-9-]{0,61}[a-z0-9]$",
        "2–63 of `a-z`, `0-9` and `-`, starting with a letter, not ending with `-`."
    )
    .min_length(Some(2))
    .max_length(Some(63))
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(Slug::parse("acme-eu").is_ok());
        for bad in [
            "a",
            "Acme",
            "1acme",
            "acme-",
            "ac me",
            "acme_eu",
            "ümlaut",
            &"a".repeat(64),
        ] {
            assert_eq!(
                Slug::parse(bad).unwrap_err().code(),
                "invalid_slug",
                "{bad}"
            );
        }
    }
}
