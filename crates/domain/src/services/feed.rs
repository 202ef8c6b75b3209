//! The change feed: other nodes' writes reach this node's snapshots by polling each
//! business's change sequence, which every committed change bumps. Works on any SQL engine.

use std::future::Future;
use std::time::Duration;

use super::Gatehouse;

impl Gatehouse {
    /// One pass of the feed: refreshes every business whose sequence moved.
    pub async fn poll_changes(&self) -> crate::Result<usize> {
        let stored = self.store().list_change_seqs().await?;
        let loaded = self.engine().loaded_seqs();
        let mut refreshed = 0;
        for (business, seq) in stored {
            if loaded.get(&business) != Some(&seq) {
                // A failed refresh drops the snapshot (fail closed) and is retried next pass.
                if self.engine().refresh(self.store(), business).await.is_ok() {
                    refreshed += 1;
                }
            }
        }
        Ok(refreshed)
    }

    /// Polls every `interval`, and at once when the store signals a change (PostgreSQL
    /// LISTEN/NOTIFY), until `shutdown` completes. Polling goes on regardless of the signal,
    /// so a lost notification connection only costs latency, never correctness.
    pub async fn run_change_feed(&self, interval: Duration, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let signal = self.store().change_signal();
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let notified = async {
                match &signal {
                    Some(s) => s.notified().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = &mut shutdown => break,
                _ = ticker.tick() => {}
                _ = notified => {}
            }
            if let Err(e) = self.poll_changes().await {
                tracing::warn!(error = %e, "change feed poll failed; retrying");
            }
        }
    }
}
