//! The addresses an application registers: where a sign-in returns (redirect URIs), where a
//! sign-out may return (post-logout redirect URIs) and where logout tokens are posted
//! (back-channel logout). Absolute `https` URLs (plain `http` only on the loopback hosts a
//! native or development app listens on), without fragment or user information, compared by
//! exact string: the original text is what is kept and matched.

use std::net::{Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use crate::error::{Error, Result};

/// The longest address accepted, in bytes.
pub const MAX_URI_LEN: usize = 2048;

/// A registered address, as the application registered it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// A redirect URI (error code `invalid_redirect_uri`, field `redirect_uris`).
    pub fn parse(raw: &str) -> Result<Self> {
        Self::parse_for(raw, "redirect_uris")
    }

    /// An address checked by the same rules for `field`: `redirect_uris` and
    /// `post_logout_redirect_uris` fail with `invalid_redirect_uri`, `backchannel_logout_uri`
    /// with `invalid_backchannel_logout_uri`.
    pub fn parse_for(raw: &str, field: &'static str) -> Result<Self> {
        let invalid = |reason: &str| {
            if field == "backchannel_logout_uri" {
                Error::invalid("invalid_backchannel_logout_uri", field, reason)
            } else {
                Error::invalid("invalid_redirect_uri", field, reason)
            }
        };
        if raw.is_empty() {
            return Err(invalid("must not be empty"));
        }
        if raw.len() > MAX_URI_LEN {
            return Err(invalid("must be at most 2048 bytes"));
        }
        if !uri_characters(raw) {
            return Err(invalid(
                "may contain only the characters of a URI (letters, digits, -._~:/?#[]@!$&'()*+,;= and %XX escapes): no spaces, quotes or backslashes",
            ));
        }
        if !raw.starts_with("https://") && !raw.starts_with("http://") {
            return Err(invalid(
                "must be an absolute URL starting with https:// (e.g. https://app.example.com/callback)",
            ));
        }
        let url = Url::parse(raw).map_err(|e| invalid(&format!("is not a valid URL ({e})")))?;
        if url.fragment().is_some() {
            return Err(invalid("must not have a fragment (#…)"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("must not contain a user name or password"));
        }
        if url.host_str().is_none_or(|h| h.contains('*')) {
            return Err(invalid("must name one host, without wildcards"));
        }
        if url.scheme() != "https" && !is_loopback(&url) {
            return Err(invalid(
                "must use https (plain http only on 127.0.0.1, [::1] or localhost)",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `presented` is this address, exactly (no normalisation, no prefix match).
    pub fn matches(&self, presented: &str) -> bool {
        self.0 == presented
    }
}

/// Whether `raw` is made of RFC 3986's characters only, each `%` starting an escape.
fn uri_characters(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| match b {
        b'%' => bytes
            .get(i + 1..i + 3)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)),
        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => true,
        _ => b"-._~:/?#[]@!$&'()*+,;=".contains(&b),
    })
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(a)) => a == Ipv4Addr::LOCALHOST,
        Some(Host::Ipv6(a)) => a == Ipv6Addr::LOCALHOST,
        None => false,
    }
}

impl std::fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for RedirectUri {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for RedirectUri {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        RedirectUri::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// What a client may send, as a pattern: `https://` and a DNS name (a last label starting
/// with a letter) or an IPv4 address, or `http://` and a loopback host; an optional port,
/// path and query; no fragment, user information or spaces. The server takes a little more
/// (IPv6 hosts, a port written with leading zeros), but never less.
const PATTERN: &str = concat!(
    r"^(?:https://(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*",
    r"[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?",
    r"|(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]))",
    r"|http://(?:localhost|127\.0\.0\.1|\[::1\]))",
    r"(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?",
    r"(?:/(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})*)?",
    r"(?:\?(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?$"
);

impl utoipa::PartialSchema for RedirectUri {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::types::text_schema(
            PATTERN,
            "An absolute URL, compared by exact string: `https://` (plain `http://` only on \
             127.0.0.1, [::1] or localhost), no fragment, no user name or password, at most \
             2048 bytes.",
        )
        .format(Some(utoipa::openapi::SchemaFormat::Custom(
            "uri".to_owned(),
        )))
        .max_length(Some(MAX_URI_LEN))
        .into()
    }
}
impl utoipa::ToSchema for RedirectUri {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_on_loopback_only() {
        for ok in [
            "https://app.example.com/callback",
            "https://app.example.com:8443/cb?tenant=eu&next=%2Fhome",
            "https://10.0.0.1/cb",
            "http://127.0.0.1:8080/callback",
            "http://[::1]:9000/cb",
            "http://localhost/cb",
            "https://localhost/cb",
        ] {
            assert_eq!(RedirectUri::parse(ok).unwrap().as_str(), ok);
        }
        for (bad, why) in [
            ("http://app.example.com/cb", "http off loopback"),
            ("http://127.0.0.2/cb", "only 127.0.0.1"),
            ("https://app.example.com/cb#frag", "fragment"),
            ("https://app.example.com/cb#", "empty fragment"),
            ("/callback", "relative"),
            ("app.example.com/cb", "no scheme"),
            ("https:app.example.com/cb", "no //"),
            ("https://user:pw@app.example.com/cb", "userinfo"),
            ("https://user@app.example.com/cb", "user name"),
            ("https://*.example.com/cb", "wildcard"),
            ("https://app.example.com/c b", "space"),
            ("https://app.example.com/<x>", "not a URI character"),
            ("https://app.example.com/%zz", "bad escape"),
            ("https://app.example.com/caf\u{e9}", "not ASCII"),
            ("https://app.example.com\\cb", "backslash"),
            ("com.example.app:/cb", "private scheme"),
            ("javascript:alert(1)", "script"),
            ("", "empty"),
        ] {
            let e = RedirectUri::parse(bad).unwrap_err();
            assert_eq!(e.code(), "invalid_redirect_uri", "{why}");
        }
        let long = format!("https://app.example.com/{}", "a".repeat(MAX_URI_LEN));
        assert!(RedirectUri::parse(&long).is_err());
        let e = RedirectUri::parse_for("ftp://x", "backchannel_logout_uri").unwrap_err();
        assert_eq!(e.code(), "invalid_backchannel_logout_uri");
        assert_eq!(e.details()["field"], "backchannel_logout_uri");
        let e = RedirectUri::parse_for("/x", "post_logout_redirect_uris").unwrap_err();
        assert_eq!(e.code(), "invalid_redirect_uri");
        assert_eq!(e.details()["field"], "post_logout_redirect_uris");
    }

    #[test]
    fn exact_match_only() {
        let uri = RedirectUri::parse("https://App.example.com/cb").unwrap();
        assert!(uri.matches("https://App.example.com/cb"));
        assert!(!uri.matches("https://app.example.com/cb"));
        assert!(!uri.matches("https://App.example.com/cb/"));
        assert!(!uri.matches("https://App.example.com/cb?x=1"));
    }
}
