//! What this node counts for its metrics: atomic counters bumped where things happen (an
//! add, no lock, on the decision path), read when `/metrics` is scraped. Counts are this
//! node's own since it started; Prometheus sums the nodes.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::audit::AuditEvent;
use crate::authz::Reason;

/// The node's counters.
#[derive(Debug)]
pub struct Meters {
    /// Decisions of the decision API, by reason (indexed as [`Reason::ALL`]).
    decisions: [AtomicU64; Reason::ALL.len()],
    /// Audit events committed by this node, by action (sign-ins, their failures, lockouts,
    /// every change). Bumped after a commit, off the read path; the actions are the
    /// product's own, a bounded set.
    audited: Mutex<BTreeMap<String, u64>>,
    /// When the change feed last completed a pass: milliseconds after `origin`, plus one
    /// (0: never). Elapsed time, not the clock's: it measures this process.
    feed_passed_ms: AtomicU64,
    origin: Instant,
}

impl Default for Meters {
    fn default() -> Self {
        Self {
            decisions: Default::default(),
            audited: Mutex::default(),
            feed_passed_ms: AtomicU64::new(0),
            origin: Instant::now(),
        }
    }
}

impl Meters {
    /// Counts one decision.
    pub fn decided(&self, reason: Reason) {
        if let Some(i) = Reason::ALL.iter().position(|r| *r == reason)
            && let Some(n) = self.decisions.get(i)
        {
            n.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Decisions so far, by reason (every reason, zeros included).
    pub fn decisions(&self) -> Vec<(Reason, u64)> {
        Reason::ALL
            .iter()
            .zip(&self.decisions)
            .map(|(r, n)| (*r, n.load(Ordering::Relaxed)))
            .collect()
    }

    /// Counts committed audit events by action.
    pub(crate) fn audited<'a>(&self, actions: impl IntoIterator<Item = &'a str>) {
        let mut counts = self
            .audited
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for action in actions {
            match counts.get_mut(action) {
                Some(n) => *n += 1,
                None => {
                    counts.insert(action.to_owned(), 1);
                }
            }
        }
    }

    /// Records that the change feed completed a pass now.
    pub(crate) fn feed_passed(&self) {
        self.feed_passed_ms
            .store(self.since_origin_ms() + 1, Ordering::Relaxed);
    }

    fn since_origin_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    /// How long ago the change feed last completed a pass, if it ever did: a bound on how
    /// stale this node's view of other nodes' writes may be.
    pub fn feed_pass_age(&self) -> Option<Duration> {
        match self.feed_passed_ms.load(Ordering::Relaxed) {
            0 => None,
            at => Some(Duration::from_millis(
                (self.since_origin_ms() + 1).saturating_sub(at),
            )),
        }
    }

    /// Audit events committed so far, by action.
    pub fn audit_actions(&self) -> BTreeMap<String, u64> {
        self.audited
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// The actions of `events`, for [`Meters::audited`] once they are committed.
pub(crate) fn actions_of(events: &[AuditEvent]) -> Vec<String> {
    events.iter().map(|e| e.action.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_decisions_by_reason_and_events_by_action() {
        let m = Meters::default();
        m.decided(Reason::Granted);
        m.decided(Reason::Granted);
        m.decided(Reason::MfaRequired);
        let d: BTreeMap<&str, u64> = m
            .decisions()
            .into_iter()
            .map(|(r, n)| (r.as_str(), n))
            .collect();
        assert_eq!(d.len(), Reason::ALL.len());
        assert_eq!(d["granted"], 2);
        assert_eq!(d["mfa_required"], 1);
        assert_eq!(d["no_grant"], 0);
        m.audited(["auth.signed_in", "user.locked", "auth.signed_in"]);
        let a = m.audit_actions();
        assert_eq!(a["auth.signed_in"], 2);
        assert_eq!(a["user.locked"], 1);
        assert_eq!(a.len(), 2);
        assert_eq!(m.feed_pass_age(), None);
        m.feed_passed();
        assert!(
            m.feed_pass_age()
                .is_some_and(|d| d < Duration::from_secs(60))
        );
    }
}
