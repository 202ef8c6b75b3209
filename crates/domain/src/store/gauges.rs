//! What `/metrics` reads of the storage: queue depths and connection pools.

/// What `/metrics` reads of the storage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreGauges {
    /// Mail waiting to go out (first attempt or a retry), and mail a sender holds now.
    pub mail_pending: u64,
    pub mail_sending: u64,
    /// Webhook deliveries waiting, and those a sender holds now.
    pub webhooks_pending: u64,
    pub webhooks_sending: u64,
    /// Each connection pool.
    pub pools: Vec<PoolGauge>,
}

/// One connection pool's use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolGauge {
    /// `reader` or `writer` (SQLite), `shared` (PostgreSQL: one pool for both).
    pub name: &'static str,
    /// Connections open now, of which idle.
    pub open: u32,
    pub idle: u32,
    /// The most it opens.
    pub max: u32,
}
