//! Where a webhook may be delivered (SSRF): `https://` URLs (plain `http://` only when the
//! operator allows it) whose host is — or, for a name, resolves only to — public addresses
//! (private, loopback, link-local, shared, documentation and other special ranges only when
//! the operator allows them). Checked when subscribing and again at each delivery, after DNS
//! resolution, on the addresses actually connected to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use super::WebhookConfig;
use crate::error::{Error, Result};

/// The longest endpoint URL.
pub const MAX_URL_LEN: usize = 2048;

fn refused(reason: &str) -> Error {
    Error::invalid("invalid_webhook_url", "url", reason.to_owned())
}

/// Parses an endpoint URL and checks what can be checked without DNS: scheme, shape, and a
/// literal address's range.
pub fn check_url(raw: &str, config: WebhookConfig) -> Result<Url> {
    if raw.len() > MAX_URL_LEN {
        return Err(refused("the URL is longer than 2048 bytes"));
    }
    let url = Url::parse(raw).map_err(|_| refused("not an absolute URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if config.allow_http => {}
        _ => return Err(refused("the URL must be https://")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refused("the URL must not carry user information"));
    }
    if url.fragment().is_some() {
        return Err(refused("the URL must not have a fragment"));
    }
    match url.host() {
        None => return Err(refused("the URL has no host")),
        Some(Host::Ipv4(ip)) => check_ip(IpAddr::V4(ip), config)?,
        Some(Host::Ipv6(ip)) => check_ip(IpAddr::V6(ip), config)?,
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if !config.allow_private_addresses
                && (name == "localhost" || name.ends_with(".localhost") || !name.contains('.'))
            {
                return Err(refused("the host is not a public name"));
            }
        }
    }
    Ok(url)
}

/// Refuses a non-public address unless the operator allows them.
pub fn check_ip(ip: IpAddr, config: WebhookConfig) -> Result<()> {
    if config.allow_private_addresses || is_public(ip) {
        Ok(())
    } else {
        Err(refused(
            "the address is private, loopback, link-local or otherwise not public",
        ))
    }
}

/// Whether `ip` is a globally reachable unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b // NAT64 (embeds IPv4)
        || first == 0x2002) // 6to4 (embeds IPv4)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: WebhookConfig = WebhookConfig {
        allow_private_addresses: false,
        allow_http: false,
    };

    #[test]
    fn private_loopback_and_link_local_are_refused_unless_allowed() {
        for bad in [
            "https://127.0.0.1/h",
            "https://10.1.2.3/h",
            "https://192.168.0.1/h",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/h",
            "https://[fe80::1]/h",
            "https://[fd00::1]/h",
            "https://[::ffff:127.0.0.1]/h",
            "https://100.64.0.1/h",
            "https://0.0.0.0/h",
            "https://localhost/h",
            "https://intranet/h",
            "http://example.com/h",
            "https://user:pw@example.com/h",
            "ftp://example.com/h",
            "not a url",
        ] {
            assert_eq!(
                check_url(bad, STRICT).unwrap_err().code(),
                "invalid_webhook_url",
                "{bad}"
            );
        }
        assert!(check_url("https://hooks.example.com/in", STRICT).is_ok());
        assert!(check_url("https://93.184.216.34/in", STRICT).is_ok());
        let open = WebhookConfig {
            allow_private_addresses: true,
            allow_http: true,
        };
        assert!(check_url("http://127.0.0.1:8080/in", open).is_ok());
    }
}
