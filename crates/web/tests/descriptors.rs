//! Running out of file descriptors: the listener pauses and goes on accepting once
//! descriptors are free again, instead of dying or spinning. Its own test binary, because it
//! lowers the whole process's open-file limit.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use gatehouse_web::WebConfig;
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const PATIENCE: Duration = Duration::from_secs(20);

async fn healthz(addr: std::net::SocketAddr) -> Option<String> {
    let mut s = TcpStream::connect(addr).await.ok()?;
    s.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .ok()?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.ok()?;
    Some(answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listener_recovers_after_running_out_of_descriptors() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/healthz", get(|| async { "ok" }));
    tokio::spawn(async move {
        gatehouse_web::serve_with(listener, app, &WebConfig::default(), std::future::pending())
            .await
    });
    assert!(healthz(addr).await.unwrap().starts_with("HTTP/1.1 200"));

    // Leave room for a few dozen descriptors, then take them all: client sockets and the
    // server's accepted ones come out of the same pool.
    let before = getrlimit(Resource::Nofile);
    let open = std::fs::read_dir("/proc/self/fd").unwrap().count() as u64;
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(open + 40),
            maximum: before.maximum,
        },
    )
    .unwrap();
    let mut held = Vec::new();
    while let Ok(s) = TcpStream::connect(addr).await {
        held.push(s);
        assert!(held.len() < 1000, "the limit did not apply");
    }
    // Give the accept loop time to meet the empty pool (it then pauses and retries).
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(held);
    setrlimit(Resource::Nofile, before).unwrap();

    let served = tokio::time::timeout(PATIENCE, async {
        loop {
            if healthz(addr)
                .await
                .is_some_and(|a| a.starts_with("HTTP/1.1 200"))
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(served.is_ok(), "the listener accepts again");
}
