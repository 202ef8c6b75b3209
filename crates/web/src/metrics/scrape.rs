//! The metrics read when Prometheus scrapes: the core's counters (mirrored into the
//! registry's counters), the database's queues and pools, the change feed's lag, memory.

use gatehouse_domain::Gatehouse;
use prometheus::{Gauge, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};

use super::register;

/// Audit actions with a family of their own (besides `gatehouse_audit_events_total`).
const SIGNED_IN: &str = "auth.signed_in";
const SIGN_IN_FAILED: &str = "auth.sign_in_failed";
const LOCKED: &str = "user.locked";

#[derive(Debug)]
pub(super) struct Scraped {
    /// One scrape at a time: mirroring a counter reads then adds.
    turn: tokio::sync::Mutex<()>,
    decisions: IntCounterVec,
    audit_events: IntCounterVec,
    sign_ins: IntCounterVec,
    lockouts: IntCounter,
    snapshots: IntGauge,
    behind: IntGauge,
    changes_behind: IntGauge,
    snapshot_seq: IntGauge,
    stored_seq: IntGauge,
    feed_age: Gauge,
    mail: IntGaugeVec,
    webhooks: IntGaugeVec,
    pool: IntGaugeVec,
    pool_max: IntGaugeVec,
    store_up: IntGauge,
    rss: IntGauge,
}

fn opts(name: &str, help: &str) -> Opts {
    Opts::new(name, help)
}

/// Builds a metric whose options are fixed here (valid by construction), and registers it.
fn made<M: prometheus::core::Collector + Clone + 'static>(
    registry: &Registry,
    m: prometheus::Result<M>,
) -> M {
    let m = m.unwrap_or_else(|e| unreachable!("fixed metric options are valid: {e}"));
    register(registry, m.clone());
    m
}

impl Scraped {
    pub(super) fn new(r: &Registry) -> Self {
        Self {
            turn: tokio::sync::Mutex::new(()),
            decisions: made(
                r,
                IntCounterVec::new(
                    opts(
                        "gatehouse_authz_decisions_total",
                        "Decisions of the decision API on this node, by reason.",
                    ),
                    &["reason"],
                ),
            ),
            audit_events: made(
                r,
                IntCounterVec::new(
                    opts(
                        "gatehouse_audit_events_total",
                        "Audit events this node committed, by action.",
                    ),
                    &["action"],
                ),
            ),
            sign_ins: made(
                r,
                IntCounterVec::new(
                    opts(
                        "gatehouse_sign_ins_total",
                        "Sign-ins on this node: succeeded or failed (a wrong password, an unknown or inactive account).",
                    ),
                    &["outcome"],
                ),
            ),
            lockouts: made(
                r,
                IntCounter::with_opts(opts(
                    "gatehouse_lockouts_total",
                    "Accounts locked on this node after repeated failed sign-ins.",
                )),
            ),
            snapshots: made(
                r,
                IntGauge::with_opts(opts(
                    "gatehouse_snapshot_businesses",
                    "Businesses whose access snapshot this node holds.",
                )),
            ),
            behind: made(
                r,
                IntGauge::with_opts(opts(
                    "gatehouse_snapshot_behind_businesses",
                    "Businesses whose snapshot here is older than the database at the scrape.",
                )),
            ),
            changes_behind: made(
                r,
                IntGauge::with_opts(opts(
                    "gatehouse_snapshot_changes_behind",
                    "Committed access changes not yet in this node's snapshots, summed over businesses.",
                )),
            ),
            snapshot_seq: made(
                r,
                IntGauge::with_opts(opts(
                    "gatehouse_snapshot_seq_sum",
                    "This node's snapshot sequences, summed over businesses (compare nodes with it).",
                )),
            ),
            stored_seq: made(
                r,
                IntGauge::with_opts(opts(
                    "gatehouse_store_change_seq_sum",
                    "The database's change sequences, summed over businesses.",
                )),
            ),
            feed_age: made(
                r,
                Gauge::with_opts(opts(
                    "gatehouse_change_feed_last_pass_age_seconds",
                    "Seconds since the change feed last completed a pass (a bound on how stale other nodes' writes are here).",
                )),
            ),
            mail: made(
                r,
                IntGaugeVec::new(
                    opts(
                        "gatehouse_mail_queue",
                        "Mail in the outbox: pending (due or retrying) or sending (held by a sender).",
                    ),
                    &["state"],
                ),
            ),
            webhooks: made(
                r,
                IntGaugeVec::new(
                    opts(
                        "gatehouse_webhook_queue",
                        "Webhook deliveries: pending or sending.",
                    ),
                    &["state"],
                ),
            ),
            pool: made(
                r,
                IntGaugeVec::new(
                    opts(
                        "gatehouse_db_pool_connections",
                        "Database connections open, by pool and state (idle or in_use).",
                    ),
                    &["pool", "state"],
                ),
            ),
            pool_max: made(
                r,
                IntGaugeVec::new(
                    opts(
                        "gatehouse_db_pool_max_connections",
                        "The most connections a pool opens.",
                    ),
                    &["pool"],
                ),
            ),
            store_up: made(
                r,
                IntGauge::with_opts(opts(
                    "gatehouse_store_up",
                    "1 when the scrape could read the database, else 0 (the figures from it are then the last read).",
                )),
            ),
            rss: made(
                r,
                IntGauge::with_opts(opts(
                    "process_resident_memory_bytes",
                    "Resident memory of the process (Linux).",
                )),
            ),
        }
    }

    /// Brings every scrape-time metric up to date.
    pub(super) async fn update(&self, gh: &Gatehouse) {
        let _turn = self.turn.lock().await;
        let meters = gh.meters();
        for (reason, n) in meters.decisions() {
            mirror(&self.decisions.with_label_values(&[reason.as_str()]), n);
        }
        let audited = meters.audit_actions();
        for (action, n) in &audited {
            mirror(&self.audit_events.with_label_values(&[action.as_str()]), *n);
        }
        let of = |action: &str| audited.get(action).copied().unwrap_or(0);
        mirror(
            &self.sign_ins.with_label_values(&["succeeded"]),
            of(SIGNED_IN),
        );
        mirror(
            &self.sign_ins.with_label_values(&["failed"]),
            of(SIGN_IN_FAILED),
        );
        mirror(&self.lockouts, of(LOCKED));
        if let Some(age) = meters.feed_pass_age() {
            self.feed_age.set(age.as_secs_f64());
        }
        let read = async {
            let lag = gh.feed_lag().await?;
            let store = gh.store_gauges().await?;
            Ok::<_, gatehouse_domain::Error>((lag, store))
        };
        match read.await {
            Ok((lag, store)) => {
                self.store_up.set(1);
                self.snapshots.set(gauge(lag.loaded));
                self.behind.set(gauge(lag.behind));
                self.changes_behind.set(lag.changes_behind);
                self.snapshot_seq.set(lag.loaded_seq_sum);
                self.stored_seq.set(lag.stored_seq_sum);
                for (state, n) in [
                    ("pending", store.mail_pending),
                    ("sending", store.mail_sending),
                ] {
                    self.mail.with_label_values(&[state]).set(gauge(n));
                }
                for (state, n) in [
                    ("pending", store.webhooks_pending),
                    ("sending", store.webhooks_sending),
                ] {
                    self.webhooks.with_label_values(&[state]).set(gauge(n));
                }
                for p in &store.pools {
                    let in_use = p.open.saturating_sub(p.idle);
                    self.pool
                        .with_label_values(&[p.name, "idle"])
                        .set(i64::from(p.idle));
                    self.pool
                        .with_label_values(&[p.name, "in_use"])
                        .set(i64::from(in_use));
                    self.pool_max
                        .with_label_values(&[p.name])
                        .set(i64::from(p.max));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "metrics: reading the database failed");
                self.store_up.set(0);
            }
        }
        if let Some(bytes) = resident_bytes() {
            self.rss.set(bytes);
        }
    }
}

/// Moves a counter up to the core's count (counters only go up; the core's never go down).
fn mirror(c: &IntCounter, total: u64) {
    let have = c.get();
    if total > have {
        c.inc_by(total - have);
    }
}

fn gauge(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

/// The resident set (`VmRSS` of `/proc/self/status`), on Linux.
fn resident_bytes() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: i64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
