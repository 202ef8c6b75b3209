//! Behind a load balancer: the per-address rate limits and the audit trail use the address a
//! trusted proxy forwarded, and nobody else's forwarding header is believed.

use gatehouse_web::{ForwardedHeader, TrustedProxies, WebConfig};
use reqwest::StatusCode;

use crate::browser::Browser;
use crate::helpers::App;
use crate::invitations::PW;
use crate::sign_in::member;

crate::backend_tests!(
    forwarded_clients_get_their_own_rate_limit_buckets,
    an_untrusted_peer_cannot_escape_the_limit_by_forwarding,
    the_forwarded_header_is_read_when_configured,
);

const WRONG: &str = "violet kettle marches south";

/// A node behind "a proxy" at `trusted`, allowing 3 sign-ins per address and minute.
async fn node(app: &App, trusted: &[&str], header: ForwardedHeader) -> App {
    let web = WebConfig {
        trusted_proxies: TrustedProxies::parse(trusted).unwrap(),
        forwarded_header: header,
        ..WebConfig::default()
    };
    app.through(app.node().auth(|c| c.rate_limit.sign_in = 3).web(web))
        .await
}

/// A browser whose requests arrive with `header: value`, as a proxy passes them on.
fn behind<'a>(node: &'a App, header: &'static str, value: &str) -> Browser<'a> {
    let mut b = Browser::new(node);
    b.headers.push((header, value.to_owned()));
    b
}

async fn sign_in_status(b: &mut Browser<'_>, password: &str) -> StatusCode {
    b.sign_in("acme", "dana@example.com", password).await.status
}

/// The client addresses of the failed sign-ins, sorted (the test clock stands still, so
/// their order in time is not known).
async fn failure_addresses(app: &App, key: &str) -> Vec<String> {
    let (_, page) = app
        .get("/api/v1/audit-events?action=auth.sign_in_failed", key)
        .await;
    let seen = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["client_ip"].as_str().unwrap_or_default().to_owned());
    let mut seen: Vec<String> = seen.collect();
    seen.sort();
    seen
}

async fn forwarded_clients_get_their_own_rate_limit_buckets(app: App) {
    let f = app.fixture("acme").await;
    member(&app, &f, "dana@example.com", &[]).await;
    let node = node(&app, &["127.0.0.1/32"], ForwardedHeader::XForwardedFor).await;

    let mut first = behind(&node, "x-forwarded-for", "198.51.100.1");
    for _ in 0..3 {
        assert_eq!(
            sign_in_status(&mut first, WRONG).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        sign_in_status(&mut first, PW).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the first client used up its own limit"
    );

    let mut second = behind(&node, "x-forwarded-for", "198.51.100.2");
    assert_eq!(
        sign_in_status(&mut second, WRONG).await,
        StatusCode::UNAUTHORIZED,
        "another client behind the same proxy has its own bucket"
    );
    assert_eq!(sign_in_status(&mut second, PW).await, StatusCode::SEE_OTHER);

    // The first client writes a made-up address; the proxy appends the one it saw.
    let mut spoofer = behind(&node, "x-forwarded-for", "203.0.113.77, 198.51.100.1");
    assert_eq!(
        sign_in_status(&mut spoofer, PW).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a prepended address is ignored"
    );

    let seen = failure_addresses(&app, &f.admin_key).await;
    assert_eq!(
        seen,
        [
            "198.51.100.1",
            "198.51.100.1",
            "198.51.100.1",
            "198.51.100.2"
        ],
        "the audit trail records the forwarded client"
    );
}

async fn an_untrusted_peer_cannot_escape_the_limit_by_forwarding(app: App) {
    let f = app.fixture("acme").await;
    member(&app, &f, "dana@example.com", &[]).await;
    // No proxy at all, and a proxy range the test client (127.0.0.1) is not in.
    for trusted in [&[][..], &["10.0.0.0/8", "::1/128"][..]] {
        let node = node(&app, trusted, ForwardedHeader::XForwardedFor).await;
        for n in 0..3 {
            let mut b = behind(&node, "x-forwarded-for", &format!("198.51.100.{n}"));
            assert_eq!(
                sign_in_status(&mut b, WRONG).await,
                StatusCode::UNAUTHORIZED
            );
        }
        let mut b = behind(&node, "x-forwarded-for", "198.51.100.200");
        assert_eq!(
            sign_in_status(&mut b, PW).await,
            StatusCode::TOO_MANY_REQUESTS,
            "{trusted:?}: a new forwarded address from an untrusted peer is still the peer"
        );
        let mut b = behind(&node, "forwarded", "for=198.51.100.201");
        assert_eq!(
            sign_in_status(&mut b, PW).await,
            StatusCode::TOO_MANY_REQUESTS
        );
        // The next minute starts a new window for the next round.
        app.clock.advance(time::Duration::minutes(1));
    }
    let seen = failure_addresses(&app, &f.admin_key).await;
    assert_eq!(seen.len(), 6);
    assert!(seen.iter().all(|ip| ip == "127.0.0.1"), "{seen:?}");
}

async fn the_forwarded_header_is_read_when_configured(app: App) {
    let f = app.fixture("acme").await;
    member(&app, &f, "dana@example.com", &[]).await;
    let node = node(&app, &["127.0.0.0/8"], ForwardedHeader::Forwarded).await;
    let mut first = behind(&node, "forwarded", "for=198.51.100.1;proto=https");
    for _ in 0..3 {
        assert_eq!(
            sign_in_status(&mut first, WRONG).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        sign_in_status(&mut first, PW).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    let mut second = behind(&node, "forwarded", "for=\"[2001:db8::5]:4711\"");
    assert_eq!(sign_in_status(&mut second, PW).await, StatusCode::SEE_OTHER);
    // X-Forwarded-For is what a client could write itself here: not believed.
    let mut other = behind(&node, "x-forwarded-for", "198.51.100.9");
    assert_eq!(
        sign_in_status(&mut other, WRONG).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        failure_addresses(&app, &f.admin_key).await,
        ["127.0.0.1", "198.51.100.1", "198.51.100.1", "198.51.100.1"],
        "without a Forwarded header, the (trusted) peer"
    );
}
