//! Which address a request comes from: the socket peer, or — only when that peer is a trusted
//! proxy — the address the proxy forwarded in `X-Forwarded-For` or `Forwarded` (RFC 7239).
//!
//! The forwarding header is read from the right: each proxy appends the address it received
//! the request from, so the right-most entry that is not itself a trusted proxy is the first
//! address no trusted party vouches beyond. Anything a client wrote further left is ignored,
//! which is why prepending a made-up address does not help it.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::http::HeaderMap;
use ipnet::IpNet;
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

/// The networks whose forwarding headers are believed (`server.trusted_proxies`); empty by
/// default, so no header is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// The header the trusted proxies write the client's address into (`server.forwarded_header`).
/// Only that one is read: the other one arrives as the client sent it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ForwardedHeader {
    #[default]
    XForwardedFor,
    Forwarded,
}

/// A trusted-proxy entry that is neither an address nor a CIDR range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidProxyNet(String);

impl fmt::Display for InvalidProxyNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not an IP address or CIDR range (such as 10.0.0.0/8 or fd00::/8)",
            self.0
        )
    }
}

impl std::error::Error for InvalidProxyNet {}

impl TrustedProxies {
    /// Parses `10.0.0.0/8`, `fd00::/8` or a single address (`192.0.2.7`).
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, InvalidProxyNet> {
        entries.iter().map(|e| parse_net(e.as_ref())).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: `peer` itself unless `peer` is a trusted proxy that forwarded a
    /// well-formed `header`, then the right-most forwarded address that is not a trusted
    /// proxy. A malformed header from a trusted proxy counts for nothing.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap, header: ForwardedHeader) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let name = match header {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
        };
        let mut hops = Vec::new();
        for value in headers.get_all(name) {
            let Ok(value) = value.to_str() else {
                return peer;
            };
            hops.extend(split_unquoted(value, ','));
        }
        // The peer is trusted, so walk on to the hop it received the request from.
        let mut nearest_trusted = peer;
        for hop in hops.iter().rev() {
            let parsed = match header {
                ForwardedHeader::XForwardedFor => parse_node(hop.trim()),
                ForwardedHeader::Forwarded => forwarded_for(hop),
            };
            let Some(ip) = parsed else {
                return peer;
            };
            if !self.contains(ip) {
                return ip;
            }
            nearest_trusted = ip;
        }
        // Every hop is a trusted proxy: the farthest one is as near the client as is known.
        nearest_trusted
    }
}

impl FromIterator<IpNet> for TrustedProxies {
    fn from_iter<I: IntoIterator<Item = IpNet>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&list.join(", "))
    }
}

fn parse_net(entry: &str) -> Result<IpNet, InvalidProxyNet> {
    let entry = entry.trim();
    let parsed = if entry.contains('/') {
        IpNet::from_str(entry).ok()
    } else {
        IpAddr::from_str(entry).ok().map(IpNet::from)
    };
    parsed
        .map(|net| net.trunc())
        .ok_or_else(|| InvalidProxyNet(entry.to_owned()))
}

/// A node as proxies write it: `192.0.2.1`, `192.0.2.1:443`, `2001:db8::1`, `[2001:db8::1]`
/// or `[2001:db8::1]:443`. Names, `unknown` and obfuscated identifiers are not addresses.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = IpAddr::from_str(node) {
        return Some(ip.to_canonical());
    }
    if let Ok(sock) = SocketAddr::from_str(node) {
        return Some(sock.ip().to_canonical());
    }
    let inner = node.strip_prefix('[')?.strip_suffix(']')?;
    IpAddr::from_str(inner)
        .ok()
        .filter(IpAddr::is_ipv6)
        .map(|ip| ip.to_canonical())
}

/// The `for=` node of one `Forwarded` element (`for=192.0.2.60;proto=https;by=…`).
fn forwarded_for(element: &str) -> Option<IpAddr> {
    let mut found = None;
    for pair in split_unquoted(element, ';') {
        let (name, value) = pair.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("for") {
            continue;
        }
        if found.is_some() {
            return None; // a repeated parameter is malformed (RFC 7239 section 4)
        }
        let value = value.trim();
        let value = match value.strip_prefix('"') {
            Some(quoted) => quoted
                .strip_suffix('"')
                .filter(|v| !v.contains(['"', '\\']))?,
            None => value,
        };
        found = Some(parse_node(value)?);
    }
    found
}

/// Splits on `sep` outside double-quoted strings (a quoted `by` value may hold a comma).
fn split_unquoted(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// A list of strings, or one string of entries separated by commas or spaces (as an
/// environment variable gives it).
impl<'de> Deserialize<'de> for TrustedProxies {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Nets;

        impl<'de> Visitor<'de> for Nets {
            type Value = TrustedProxies;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of IP addresses or CIDR ranges such as [\"10.0.0.0/8\"]")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                let entries: Vec<&str> = v
                    .split([',', ' '])
                    .filter(|e| !e.trim().is_empty())
                    .collect();
                TrustedProxies::parse(&entries).map_err(E::custom)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut nets = Vec::new();
                while let Some(entry) = seq.next_element::<String>()? {
                    nets.push(parse_net(&entry).map_err(de::Error::custom)?);
                }
                Ok(TrustedProxies(nets))
            }
        }

        deserializer.deserialize_any(Nets)
    }
}

#[cfg(test)]
#[path = "client_ip_tests.rs"]
mod tests;
