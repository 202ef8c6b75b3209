//! Values that must never reach a log or a `Debug` dump: secrets, and database URLs whose
//! password is hidden when shown.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A secret from configuration. `Debug` prints `<redacted>`; read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; never pass it to a logger.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// A database URL. It may hold a password, so `Debug` and [`DatabaseUrl::redacted`] hide it.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL with its password; for the database driver only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with any password (in the user-info part or a `password=` query parameter)
    /// replaced by `<redacted>`, fit to print.
    pub fn redacted(&self) -> String {
        let url = &self.0;
        let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
            return redact_query(url);
        };
        let (head, rest) = url.split_at(scheme_end);
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        let authority = match authority.rfind('@') {
            Some(at) => {
                let (userinfo, host) = authority.split_at(at);
                match userinfo.split_once(':') {
                    Some((user, _password)) => format!("{user}:<redacted>{host}"),
                    None => authority.to_owned(),
                }
            }
            None => authority.to_owned(),
        };
        format!("{head}{authority}{}", redact_query(tail))
    }
}

/// Hides the value of every `password=` query parameter.
fn redact_query(s: &str) -> String {
    let Some((path, query)) = s.split_once('?') else {
        return s.to_owned();
    };
    let params: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=<redacted>"),
            _ => p.to_owned(),
        })
        .collect();
    format!("{path}?{}", params.join("&"))
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(DatabaseUrl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_is_redacted() {
        let s = Secret::new("gho_topsecret");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(s.expose(), "gho_topsecret");
    }

    #[test]
    fn database_url_passwords_are_hidden() {
        let cases = [
            (
                "postgres://gh:hunter2@db.internal:5432/gatehouse",
                "postgres://gh:<redacted>@db.internal:5432/gatehouse",
            ),
            (
                "postgres://postgres@127.0.0.1:5432/test",
                "postgres://postgres@127.0.0.1:5432/test",
            ),
            (
                "postgres://db/x?user=gh&password=hunter2&sslmode=require",
                "postgres://db/x?user=gh&password=<redacted>&sslmode=require",
            ),
            (
                "postgres://a:p%40ss@h?password=x",
                "postgres://a:<redacted>@h?password=<redacted>",
            ),
            (
                "sqlite://./data/gatehouse.db",
                "sqlite://./data/gatehouse.db",
            ),
            (
                "sqlite:gatehouse.db?mode=rwc",
                "sqlite:gatehouse.db?mode=rwc",
            ),
        ];
        for (raw, shown) in cases {
            let url = DatabaseUrl::new(raw);
            assert_eq!(url.redacted(), shown);
            assert!(!format!("{url:?}").contains("hunter2"));
            assert_eq!(url.expose(), raw);
        }
    }
}
