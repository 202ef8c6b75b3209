//! The pause of a background sender between passes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::Notify;

/// Waits until `signal` fires (a commit queued work), `poll` passes (retries, other nodes'
/// work, a missed signal) or `shutdown` completes; `false` when it was shutdown.
pub(crate) async fn idle(
    signal: Option<&Arc<Notify>>,
    poll: std::time::Duration,
    shutdown: Pin<&mut impl Future<Output = ()>>,
) -> bool {
    let woken = async {
        match signal {
            Some(s) => s.notified().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = shutdown => false,
        () = woken => true,
        () = tokio::time::sleep(poll) => true,
    }
}
