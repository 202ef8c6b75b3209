//! The client-address algorithm: whom to believe, from which end, and what counts as malformed.

use axum::http::{HeaderMap, HeaderValue};

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn proxies(list: &[&str]) -> TrustedProxies {
    TrustedProxies::parse(list).unwrap()
}

fn headers(name: &'static str, values: &[&str]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for v in values {
        h.append(name, HeaderValue::from_str(v).unwrap());
    }
    h
}

fn xff(trusted: &[&str], peer: &str, values: &[&str]) -> IpAddr {
    proxies(trusted).client_ip(
        ip(peer),
        &headers("x-forwarded-for", values),
        ForwardedHeader::XForwardedFor,
    )
}

fn fwd(trusted: &[&str], peer: &str, values: &[&str]) -> IpAddr {
    proxies(trusted).client_ip(
        ip(peer),
        &headers("forwarded", values),
        ForwardedHeader::Forwarded,
    )
}

const LB: &[&str] = &["10.0.0.0/8"];

#[test]
fn without_trusted_proxies_the_peer_is_the_client() {
    assert_eq!(xff(&[], "10.0.0.5", &["198.51.100.1"]), ip("10.0.0.5"));
    assert_eq!(fwd(&[], "10.0.0.5", &["for=198.51.100.1"]), ip("10.0.0.5"));
}

#[test]
fn an_untrusted_peer_cannot_claim_another_address() {
    assert_eq!(xff(LB, "203.0.113.9", &["198.51.100.1"]), ip("203.0.113.9"));
    assert_eq!(
        fwd(LB, "203.0.113.9", &["for=198.51.100.1"]),
        ip("203.0.113.9")
    );
}

#[test]
fn a_trusted_peer_forwards_its_client() {
    assert_eq!(xff(LB, "10.0.0.5", &["198.51.100.1"]), ip("198.51.100.1"));
    assert_eq!(xff(LB, "10.0.0.5", &[]), ip("10.0.0.5"), "no header");
}

#[test]
fn the_right_most_untrusted_hop_wins_so_prepending_does_not_spoof() {
    // The client wrote "1.1.1.1"; the load balancer appended the address it saw.
    assert_eq!(
        xff(LB, "10.0.0.5", &["1.1.1.1, 198.51.100.1"]),
        ip("198.51.100.1")
    );
    // Two trusted proxies in a row are walked past.
    assert_eq!(
        xff(LB, "10.0.0.5", &["1.1.1.1, 198.51.100.1, 10.0.0.9"]),
        ip("198.51.100.1")
    );
    // Several header lines are one list, in order.
    assert_eq!(
        xff(LB, "10.0.0.5", &["1.1.1.1", "198.51.100.1"]),
        ip("198.51.100.1")
    );
    // Garbage left of the client's hop is never looked at.
    assert_eq!(
        xff(LB, "10.0.0.5", &["not-an-ip, 198.51.100.1"]),
        ip("198.51.100.1")
    );
}

#[test]
fn when_every_hop_is_trusted_the_farthest_is_taken() {
    assert_eq!(xff(LB, "10.0.0.5", &["10.1.1.1, 10.2.2.2"]), ip("10.1.1.1"));
}

#[test]
fn malformed_headers_from_a_trusted_proxy_fall_back_to_the_peer() {
    for bad in [
        "",
        "banana",
        "198.51.100.1,",
        "198.51.100.1, , 10.0.0.9",
        "198.51.100.1 10.0.0.9",
        "unknown",
        "300.1.1.1",
    ] {
        assert_eq!(xff(LB, "10.0.0.5", &[bad]), ip("10.0.0.5"), "{bad:?}");
    }
    let mut h = HeaderMap::new();
    h.insert(
        "x-forwarded-for",
        HeaderValue::from_bytes(b"198.51.100.1\xff").unwrap(),
    );
    assert_eq!(
        proxies(LB).client_ip(ip("10.0.0.5"), &h, ForwardedHeader::XForwardedFor),
        ip("10.0.0.5"),
        "not visible ASCII"
    );
}

#[test]
fn ports_and_brackets_are_understood() {
    assert_eq!(
        xff(LB, "10.0.0.5", &["198.51.100.1:4711"]),
        ip("198.51.100.1")
    );
    assert_eq!(xff(LB, "10.0.0.5", &["2001:db8::7"]), ip("2001:db8::7"));
    assert_eq!(xff(LB, "10.0.0.5", &["[2001:db8::7]"]), ip("2001:db8::7"));
    assert_eq!(
        xff(LB, "10.0.0.5", &["[2001:db8::7]:443"]),
        ip("2001:db8::7")
    );
    // An IPv4 address mapped into IPv6 (a dual-stack listener) is the IPv4 address.
    assert_eq!(
        xff(LB, "::ffff:10.0.0.5", &["198.51.100.1"]),
        ip("198.51.100.1")
    );
}

#[test]
fn only_the_configured_header_is_read() {
    let mut h = headers("forwarded", &["for=1.1.1.1"]);
    h.append("x-forwarded-for", HeaderValue::from_static("198.51.100.1"));
    let p = proxies(LB);
    assert_eq!(
        p.client_ip(ip("10.0.0.5"), &h, ForwardedHeader::XForwardedFor),
        ip("198.51.100.1"),
        "a client-written Forwarded header is ignored behind an X-Forwarded-For proxy"
    );
    assert_eq!(
        p.client_ip(ip("10.0.0.5"), &h, ForwardedHeader::Forwarded),
        ip("1.1.1.1")
    );
}

#[test]
fn forwarded_elements_are_parsed_per_rfc_7239() {
    assert_eq!(
        fwd(
            LB,
            "10.0.0.5",
            &["for=1.1.1.1, for=198.51.100.1;proto=https;by=10.0.0.5"]
        ),
        ip("198.51.100.1")
    );
    assert_eq!(
        fwd(LB, "10.0.0.5", &["For=\"[2001:db8:cafe::17]:4711\""]),
        ip("2001:db8:cafe::17")
    );
    assert_eq!(
        fwd(LB, "10.0.0.5", &["for=\"198.51.100.1:80\";by=\"a,b\""]),
        ip("198.51.100.1"),
        "a comma inside quotes does not split elements"
    );
    assert_eq!(
        fwd(LB, "10.0.0.5", &["for=198.51.100.1", "for=10.0.0.9"]),
        ip("198.51.100.1")
    );
    for bad in [
        "for=unknown",
        "for=_hidden",
        "proto=https",
        "for=198.51.100.1;for=198.51.100.2",
        "for=\"198.51.100.1",
        "for",
        "",
    ] {
        assert_eq!(fwd(LB, "10.0.0.5", &[bad]), ip("10.0.0.5"), "{bad:?}");
    }
}

#[test]
fn entries_parse_as_ranges_or_single_addresses() {
    let p = proxies(&["10.0.0.0/8", "192.0.2.7", "fd00::/8", " 172.16.1.2/12 "]);
    assert!(p.contains(ip("10.255.0.1")));
    assert!(p.contains(ip("192.0.2.7")));
    assert!(!p.contains(ip("192.0.2.8")));
    assert!(p.contains(ip("fd12::1")));
    assert!(p.contains(ip("172.31.0.1")), "host bits are ignored");
    assert_eq!(
        p.to_string(),
        "10.0.0.0/8, 192.0.2.7/32, fd00::/8, 172.16.0.0/12"
    );
    for bad in ["10.0.0.0/33", "10.0.0/8", "example.com", "", "fd00::/129"] {
        let err = TrustedProxies::parse(&[bad]).unwrap_err().to_string();
        assert!(err.contains("CIDR"), "{bad:?}: {err}");
    }
}
