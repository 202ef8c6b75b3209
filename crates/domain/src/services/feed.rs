//! The change feed: other nodes' writes reach this node's snapshots by polling for the
//! businesses whose change sequence (which every committed change bumps) moved since the last
//! pass ([`crate::authz::AccessSource::list_changes_since`]); a pass costs what changed, not
//! how many businesses there are. Works on any SQL engine.

use std::future::Future;
use std::time::Duration;

use super::Gatehouse;

/// This node's snapshots against the database's change sequences.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedLag {
    /// Businesses with a snapshot on this node.
    pub loaded: usize,
    /// Businesses whose snapshot here is older than the database (or missing).
    pub behind: usize,
    /// Committed changes not yet in this node's snapshots, summed over businesses.
    pub changes_behind: i64,
    /// The snapshots' sequences, summed (moves as changes arrive; compare nodes with it).
    pub loaded_seq_sum: i64,
    /// The database's sequences, summed.
    pub stored_seq_sum: i64,
}

impl Gatehouse {
    /// One pass of the feed: refreshes every business that moved since the last pass.
    pub async fn poll_changes(&self) -> crate::Result<usize> {
        let refreshed = self.engine().follow(self.store()).await?;
        self.meters().feed_passed();
        Ok(refreshed)
    }

    /// The database's queues and pools (for `/metrics`).
    pub async fn store_gauges(&self) -> crate::Result<crate::store::StoreGauges> {
        self.store().gauges().await
    }

    /// How far this node's snapshots are behind the database now (for `/metrics`).
    pub async fn feed_lag(&self) -> crate::Result<FeedLag> {
        let stored = self.store().list_change_seqs().await?;
        let loaded = self.engine().loaded_seqs();
        let mut lag = FeedLag {
            loaded: loaded.len(),
            loaded_seq_sum: loaded.values().sum(),
            ..FeedLag::default()
        };
        for (business, seq) in stored {
            lag.stored_seq_sum += seq;
            let have = loaded.get(&business).copied().unwrap_or(0);
            if have < seq {
                lag.behind += 1;
                lag.changes_behind += seq - have;
            }
        }
        Ok(lag)
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
