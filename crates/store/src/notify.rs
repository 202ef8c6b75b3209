//! PostgreSQL LISTEN/NOTIFY as an accelerator for the change feed: every commit that bumps a
//! business's change sequence also sends `NOTIFY gatehouse_changes` (delivered at commit),
//! and each node listens on a connection of its own, waking its feed at once. Polling stays
//! the source of truth: a dropped listener is reconnected and only costs latency meanwhile.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::Notify;

/// The channel commits notify on.
pub(crate) const CHANNEL: &str = "gatehouse_changes";

/// Listens on `url` until aborted, signalling `notify` on every notification.
pub(crate) fn spawn_listener(url: String, notify: Arc<Notify>) -> tokio::task::AbortHandle {
    tokio::spawn(async move {
        loop {
            match listen(&url, &notify).await {
                Ok(()) => {}
                Err(e) => tracing::warn!(error = %e, "change notifications unavailable; polling only until reconnected"),
            }
            // Whatever was missed meanwhile, the next poll finds: wake the feed once.
            notify.notify_one();
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
    .abort_handle()
}

async fn listen(url: &str, notify: &Notify) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    loop {
        // `try_recv` returns `None` when the connection dropped (it reconnects on the next
        // call); wake the feed then too, since notifications may have been lost.
        let _ = listener.try_recv().await?;
        notify.notify_one();
    }
}
