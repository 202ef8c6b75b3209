//! Slow and idle clients: a connection that never finishes its request head, or sits idle
//! after an answer, is closed; one address cannot hold every connection, and `/healthz`
//! keeps answering others while it tries. Raw TCP, as such a client would behave.

use std::net::SocketAddr;
use std::time::Duration;

use gatehouse_web::{ConnectionLimits, WebConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::App;

crate::backend_tests!(
    a_half_sent_request_head_is_closed_after_the_header_timeout,
    an_idle_kept_alive_connection_is_closed_after_the_idle_timeout,
    one_address_cannot_hold_every_connection_and_healthz_still_answers,
    past_the_global_cap_a_new_connection_waits_for_a_free_place,
);

/// Bounds every wait; far above the timeouts the tests set.
const PATIENCE: Duration = Duration::from_secs(20);
const SHORT: Duration = Duration::from_millis(300);
const LONG: Duration = Duration::from_secs(600);

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nhost: gatehouse\r\n\r\n";

fn limits(
    header_read: Duration,
    idle: Duration,
    max: usize,
    per_address: usize,
) -> ConnectionLimits {
    ConnectionLimits {
        header_read_timeout: header_read,
        idle_timeout: idle,
        max_connections: max,
        max_connections_per_address: per_address,
    }
}

async fn node(app: &App, connections: ConnectionLimits) -> SocketAddr {
    let web = WebConfig {
        connections,
        ..WebConfig::default()
    };
    let node = app.node().web(web).start().await.unwrap();
    node.base.trim_start_matches("http://").parse().unwrap()
}

async fn connect(to: SocketAddr) -> TcpStream {
    TcpStream::connect(to).await.unwrap()
}

/// A connection from another loopback address (all of 127.0.0.0/8 is local on Linux).
async fn connect_from(local: &str, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{local}:0").parse().unwrap()).unwrap();
    socket.connect(to).await.unwrap()
}

/// Reads until the server closes the connection; what it sent before, or `None` if it is
/// still open after `wait`.
async fn closed_by_server(stream: &mut TcpStream, wait: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let mut buf = [0; 4096];
    let read = tokio::time::timeout(wait, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| got)
}

/// Reads one whole answer (head and `content-length` body), leaving the connection open;
/// `None` if it has not arrived within `wait` or the connection closed first.
async fn read_answer(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut got = Vec::new();
    let mut buf = [0; 4096];
    let complete = |got: &[u8]| {
        let head_end = got.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&got[..head_end]).to_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map_or(0, |v| v.trim().parse().unwrap());
        (got.len() >= head_end + 4 + length).then_some(())
    };
    let read = tokio::time::timeout(wait, async {
        while complete(&got).is_none() {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        true
    })
    .await;
    (read == Ok(true)).then(|| String::from_utf8(got).unwrap())
}

/// `GET /healthz` on an open connection; its answer.
async fn healthz_on(stream: &mut TcpStream) -> String {
    stream.write_all(HEALTHZ).await.unwrap();
    read_answer(stream, PATIENCE)
        .await
        .expect("an answer in time")
}

fn is_ok(answer: &str) -> bool {
    answer.starts_with("HTTP/1.1 200")
}

async fn a_half_sent_request_head_is_closed_after_the_header_timeout(app: App) {
    let addr = node(&app, limits(SHORT, LONG, 10_000, 256)).await;

    let mut slow = connect(addr).await;
    slow.write_all(b"GET /healthz HTTP/1.1\r\nhost: gatehouse\r\n")
        .await
        .unwrap();
    let sent = closed_by_server(&mut slow, PATIENCE).await;
    assert!(sent.is_some(), "a half-sent head keeps its connection open");

    let mut silent = connect(addr).await;
    assert!(
        closed_by_server(&mut silent, PATIENCE).await.is_some(),
        "a connection that never sends a byte stays open"
    );

    // On a kept-alive connection, the next head that stops halfway is closed too, although
    // the idle timeout is long.
    let mut kept = connect(addr).await;
    assert!(is_ok(&healthz_on(&mut kept).await));
    kept.write_all(b"GET /healthz HTTP/1.1\r\nho")
        .await
        .unwrap();
    assert!(
        closed_by_server(&mut kept, PATIENCE).await.is_some(),
        "the second head never finishes"
    );
}

async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout(app: App) {
    let addr = node(&app, limits(LONG, SHORT, 10_000, 256)).await;
    let mut kept = connect(addr).await;
    assert!(is_ok(&healthz_on(&mut kept).await));
    assert!(is_ok(&healthz_on(&mut kept).await), "kept alive");
    let rest = closed_by_server(&mut kept, PATIENCE)
        .await
        .expect("an idle kept-alive connection stays open");
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
}

async fn one_address_cannot_hold_every_connection_and_healthz_still_answers(app: App) {
    const CAP: usize = 8;
    let addr = node(&app, limits(LONG, LONG, 10_000, CAP)).await;
    // Each answers once, so the server has counted it; then it stays open, idle.
    let mut held = Vec::new();
    for _ in 0..CAP {
        let mut s = connect(addr).await;
        assert!(is_ok(&healthz_on(&mut s).await));
        held.push(s);
    }
    // A flood of further connections from the same address: each refused at once.
    for n in 0..5 * CAP {
        let mut s = connect(addr).await;
        let answer = closed_by_server(&mut s, PATIENCE)
            .await
            .unwrap_or_else(|| panic!("connection {n} over the cap is held open"));
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 503"), "{n}: {answer}");
    }
    // Meanwhile everyone else is served.
    let mut other = connect_from("127.0.0.2", addr).await;
    assert!(
        is_ok(&healthz_on(&mut other).await),
        "healthz answers during the flood"
    );
    for s in &mut held {
        assert!(
            is_ok(&healthz_on(s).await),
            "the held connections still work"
        );
    }

    // Below the cap again, the address gets in again (once the server has seen the close).
    drop(held.pop());
    let served = tokio::time::timeout(PATIENCE, async {
        loop {
            let mut s = connect(addr).await;
            s.write_all(HEALTHZ).await.unwrap();
            if read_answer(&mut s, PATIENCE)
                .await
                .is_some_and(|a| is_ok(&a))
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        served.is_ok(),
        "a freed place is given to the next connection"
    );
}

async fn past_the_global_cap_a_new_connection_waits_for_a_free_place(app: App) {
    const MAX: usize = 4;
    let addr = node(&app, limits(LONG, LONG, MAX, MAX)).await;
    let mut held = Vec::new();
    for n in 0..MAX {
        let mut s = connect_from(&format!("127.0.0.{}", n + 10), addr).await;
        assert!(is_ok(&healthz_on(&mut s).await));
        held.push(s);
    }
    // The kernel completes the handshake, but the server does not take the connection on.
    let mut waiting = connect_from("127.0.0.20", addr).await;
    waiting.write_all(HEALTHZ).await.unwrap();
    assert!(
        read_answer(&mut waiting, Duration::from_millis(500))
            .await
            .is_none(),
        "answered past the cap"
    );
    drop(held.pop());
    let answer = read_answer(&mut waiting, PATIENCE).await;
    assert!(
        answer.is_some_and(|a| is_ok(&a)),
        "served once a place is free"
    );
}
