//! One connection: HTTP/1.1 through hyper, the peer's address on every request, and a
//! watchdog that closes the connection when its client is too slow to send a request head or
//! lets it sit idle.
//!
//! hyper's own `header_read_timeout` starts when hyper begins waiting for a head, so on a
//! kept-alive connection it would also cut the idle wait short; the watchdog separates the
//! two, as Go's `ReadHeaderTimeout` and `IdleTimeout` do. A handler that runs long is not its
//! business: the router's request timeout answers those.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tower::ServiceExt;

#[derive(Debug, Clone, Copy)]
pub(super) struct Timeouts {
    pub(super) header_read: Duration,
    pub(super) idle: Duration,
}

/// An accepted connection and what it holds until it closes (its places under the caps).
#[derive(Debug)]
pub(super) struct Accepted<H> {
    pub(super) stream: TcpStream,
    pub(super) peer: SocketAddr,
    pub(super) held: H,
}

/// Answers a connection over the per-address cap and closes it, without waiting on the
/// client: a full send buffer just means the client sees the connection close.
pub(super) fn refuse(stream: TcpStream) {
    const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: 39\r\n\r\ntoo many connections from this address\n";
    let _ = stream.try_write(BUSY);
}

/// Serves one connection on its own task until it ends, times out, or `stop` says to finish.
pub(super) fn spawn<H: Send + 'static>(
    accepted: Accepted<H>,
    app: Router,
    timeouts: Timeouts,
    mut stop: watch::Receiver<bool>,
    done: watch::Receiver<()>,
) {
    let Accepted { stream, peer, held } = accepted;
    tokio::spawn(async move {
        let activity = Arc::new(Activity::new(timeouts));
        let io = TokioIo::new(Tracked {
            inner: stream,
            activity: activity.clone(),
        });
        let service = PeerService {
            app,
            peer,
            activity: activity.clone(),
        };
        let mut builder = http1::Builder::new();
        builder.header_read_timeout(None);
        let mut conn = pin!(builder.serve_connection(io, service));
        let mut stopping = false;
        loop {
            let deadline = activity.deadline();
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                    break;
                }
                _ = stop.wait_for(|stop| *stop), if !stopping => {
                    stopping = true;
                    conn.as_mut().graceful_shutdown();
                }
                () = activity.changed.notified() => {}
                () = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    if activity.deadline().is_some_and(|d| d <= Instant::now()) {
                        tracing::debug!(%peer, "closed a connection: request head too slow, or idle");
                        break;
                    }
                }
            }
        }
        drop((held, done));
    });
}

/// What the watchdog needs to know of a connection.
#[derive(Debug)]
struct Activity {
    timeouts: Timeouts,
    state: Mutex<State>,
    /// Woken when a deadline may have moved earlier.
    changed: Notify,
}

#[derive(Debug)]
struct State {
    /// Between the head being read and the handler answering.
    in_request: bool,
    /// When the client began sending the next head (a new connection: when it connected).
    head_started: Option<Instant>,
    last_write: Instant,
}

impl Activity {
    fn new(timeouts: Timeouts) -> Self {
        let now = Instant::now();
        Self {
            timeouts,
            state: Mutex::new(State {
                in_request: false,
                head_started: Some(now),
                last_write: now,
            }),
            changed: Notify::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// When the connection is to be closed unless something happens first; `None` while a
    /// handler runs.
    fn deadline(&self) -> Option<Instant> {
        let s = self.state();
        if s.in_request {
            return None;
        }
        Some(match s.head_started {
            // A response still being written keeps a pipelined head's clock from running.
            Some(started) => started.max(s.last_write) + self.timeouts.header_read,
            None => s.last_write + self.timeouts.idle,
        })
    }

    fn read(&self, bytes: usize) {
        if bytes == 0 {
            return;
        }
        let mut s = self.state();
        if !s.in_request && s.head_started.is_none() {
            s.head_started = Some(Instant::now());
            drop(s);
            self.changed.notify_one();
        }
    }

    fn wrote(&self, bytes: usize) {
        if bytes > 0 {
            self.state().last_write = Instant::now();
        }
    }

    fn request_started(&self) {
        let mut s = self.state();
        s.in_request = true;
        s.head_started = None;
    }

    fn response_ready(&self) {
        let mut s = self.state();
        s.in_request = false;
        s.last_write = Instant::now();
        drop(s);
        self.changed.notify_one();
    }
}

/// The socket, reporting bytes read and written to the watchdog.
#[derive(Debug)]
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = result {
            this.activity
                .read(buf.filled().len().saturating_sub(before));
        }
        result
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = result {
            this.activity.wrote(n);
        }
        result
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = result {
            this.activity.wrote(n);
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The router for one connection: adds `ConnectInfo` and tells the watchdog when a request
/// starts and when its answer is ready.
#[derive(Debug, Clone)]
struct PeerService {
    app: Router,
    peer: SocketAddr,
    activity: Arc<Activity>,
}

impl hyper::service::Service<Request<Incoming>> for PeerService {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, mut req: Request<Incoming>) -> Self::Future {
        self.activity.request_started();
        req.extensions_mut().insert(ConnectInfo(self.peer));
        let app = self.app.clone();
        let activity = self.activity.clone();
        Box::pin(async move {
            let response = app.oneshot(req).await;
            activity.response_ready();
            response
        })
    }
}
