use crate::error::{Error, Result};

/// An email address, trimmed and lower-cased, so that uniqueness within a business is
/// case-insensitive. Checked for the shape `local@domain.tld`; deliverability is the
/// invitation's job.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

const MAX_LEN: usize = 254;

/// The domain of deprovisioned accounts' addresses; refused as a real address.
const DEPROVISIONED_DOMAIN: &str = "deprovisioned.invalid";

impl Email {
    pub fn parse(raw: &str) -> Result<Self> {
        let invalid = |reason: &str| Error::invalid("invalid_email", "email", reason);
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(invalid("must not be empty"));
        }
        if email.len() > MAX_LEN {
            return Err(invalid("must be at most 254 bytes"));
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err(invalid("must contain @"));
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return Err(invalid(
                "the part before @ must be 1 to 64 characters without @",
            ));
        }
        if email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c))
        {
            return Err(invalid(
                "must not contain spaces, control characters or <>()[],;:\"\\",
            ));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(invalid("the domain must look like example.com"));
        }
        if domain == DEPROVISIONED_DOMAIN {
            return Err(invalid(
                "this domain is reserved for deprovisioned accounts",
            ));
        }
        Ok(Self(email))
    }

    /// The address a deprovisioned account (SCIM `DELETE`) is renamed to: under a reserved
    /// domain (`.invalid`, RFC 2606) nobody can receive mail at or type into a form, so the
    /// real address is free again and the account can never sign in.
    pub fn deprovisioned(id: &impl std::fmt::Display) -> Self {
        Self(format!("{id}@{DEPROVISIONED_DOMAIN}"))
    }

    /// An address as stored: any address [`Email::parse`] takes, or a deprovisioned
    /// account's (which `parse` refuses as input).
    pub fn parse_stored(raw: &str) -> Result<Self> {
        match raw.rsplit_once('@') {
            Some((id, DEPROVISIONED_DOMAIN)) if id.parse::<uuid::Uuid>().is_ok() => {
                Ok(Self(raw.to_owned()))
            }
            _ => Self::parse(raw),
        }
    }

    /// Whether this is a deprovisioned account's address.
    pub fn is_deprovisioned(&self) -> bool {
        self.0
            .rsplit_once('@')
            .is_some_and(|(_, d)| d == DEPROVISIONED_DOMAIN)
    }

    /// The part before `@`.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or(self.0.as_str(), |(l, _)| l)
    }
}

/// What a client may send: `local@domain.tld` in ASCII. The server also takes surrounding
/// whitespace (trimmed) and letters beyond ASCII, but answers with the trimmed, lower-cased
/// address, which this pattern matches when the input did.
const PATTERN: &str = concat!(
    r"^[!#-'*+\-./0-9=?A-Z^-~]{1,64}@",
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?",
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
);

super::string_newtype!(
    Email,
    super::text_schema(
        PATTERN,
        "An email address, at most 254 characters, stored lower-cased. The pattern is the \
         portable form; surrounding whitespace is trimmed, and letters beyond ASCII are \
         accepted too."
    )
    .max_length(Some(MAX_LEN))
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        assert_eq!(
            Email::parse("  Dana.K@Example.COM ").unwrap().as_str(),
            "dana.k@example.com"
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "dana",
            "@example.com",
            "dana@",
            "dana@localhost",
            "da na@example.com",
            "dana@ex..com",
            "dana@-ex.com",
            "a@b@example.com",
            "<x>@example.com",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_email", "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(65))).is_err());
    }

    #[test]
    fn accepts_unicode_domains_and_plus() {
        assert!(Email::parse("dana+ops@bücher.de").is_ok());
    }
}
