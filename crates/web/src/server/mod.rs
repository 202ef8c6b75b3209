//! Accepting connections with limits: how many may be open in all and per client address, and
//! how long a client may take to send a request head or leave a connection idle. Without them
//! a client holding many half-sent or idle connections exhausts the file descriptors and the
//! listener stops accepting anyone, `/healthz` included.

mod addresses;
mod conn;

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::state::WebConfig;
use addresses::AddressSlots;

/// Connection caps and timeouts (`server.*` in the binary's configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time a client has to send a complete request head, from the moment it connects or
    /// sends the first byte of its next request on a kept-alive connection.
    pub header_read_timeout: Duration,
    /// A connection on which nothing moves for this long is closed: a kept-alive connection
    /// waiting for its next request, or one whose client stopped reading the answer.
    pub idle_timeout: Duration,
    /// Connections open at once; beyond it new ones wait in the listen backlog.
    pub max_connections: usize,
    /// Connections open at once from one address (an IPv6 /64 counts as one address);
    /// beyond it a new one is answered 503 and closed at once. Trusted proxies are exempt.
    pub max_connections_per_address: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 10_000,
            max_connections_per_address: 256,
        }
    }
}

/// Serves `app` on `listener` with `config`'s connection limits until `shutdown` completes,
/// then stops accepting and lets in-flight requests finish. Every request carries
/// `ConnectInfo<SocketAddr>` of its peer.
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    config: &WebConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let limits = &config.connections;
    let timeouts = conn::Timeouts {
        header_read: limits.header_read_timeout,
        idle: limits.idle_timeout,
    };
    let slots = Arc::new(Semaphore::new(
        limits.max_connections.clamp(1, Semaphore::MAX_PERMITS),
    ));
    let per_address = AddressSlots::new(
        limits.max_connections_per_address.max(1),
        config.trusted_proxies.clone(),
    );
    // `stop` tells connections to finish; each holds a `done` receiver until it ends.
    let (stop_tx, stop_rx) = watch::channel(false);
    let (done_tx, done_rx) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    let mut backoff = Backoff::default();
    loop {
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break, // never closed
            },
        };
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                backoff.reset();
                accepted
            }
            Err(e) => {
                // Out of descriptors or memory: the pending connection stays queued, so an
                // immediate retry would spin. Wait, then go on; a lost peer needs no wait.
                if let Some(pause) = backoff.after(&e) {
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(pause) => {}
                    }
                }
                continue;
            }
        };
        let Some(address_slot) = per_address.take(peer.ip()) else {
            tracing::debug!(%peer, "refused a connection: too many open from this address");
            conn::refuse(stream);
            continue;
        };
        conn::spawn(
            conn::Accepted {
                stream,
                peer,
                held: (permit, address_slot),
            },
            app.clone(),
            timeouts,
            stop_rx.clone(),
            done_rx.clone(),
        );
    }
    drop(listener);
    stop_tx.send_replace(true);
    drop(done_rx);
    done_tx.closed().await;
    Ok(())
}

/// Pauses after accept errors that are not about one lost peer, doubling up to a second.
#[derive(Debug, Default)]
struct Backoff {
    next: Option<Duration>,
}

impl Backoff {
    fn reset(&mut self) {
        self.next = None;
    }

    fn after(&mut self, error: &io::Error) -> Option<Duration> {
        use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
        if matches!(
            error.kind(),
            ConnectionAborted | ConnectionRefused | ConnectionReset
        ) {
            return None;
        }
        let pause = self.next.unwrap_or(Duration::from_millis(10));
        self.next = Some((pause * 2).min(Duration::from_secs(1)));
        tracing::warn!(error = %error, pause_ms = pause.as_millis() as u64, "accepting a connection failed; pausing");
        Some(pause)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_errors_pause_growing_up_to_a_second_but_a_lost_peer_does_not() {
        let mut backoff = Backoff::default();
        let reset = io::Error::from(io::ErrorKind::ConnectionAborted);
        assert_eq!(backoff.after(&reset), None);
        let emfile = io::Error::from_raw_os_error(24); // EMFILE: too many open files
        let pauses: Vec<_> = (0..10).filter_map(|_| backoff.after(&emfile)).collect();
        assert_eq!(pauses[0], Duration::from_millis(10));
        assert_eq!(pauses[1], Duration::from_millis(20));
        assert!(pauses.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(pauses[9], Duration::from_secs(1));
        backoff.reset();
        assert_eq!(backoff.after(&emfile), Some(Duration::from_millis(10)));
    }
}
