//! Gatehouse's storage: the domain's [`Store`] over SQLite (embedded default) and PostgreSQL.
//!
//! Both backends run the same SQL through sqlx's `Any` driver: portable types only (ids as
//! text, times as integer microseconds, JSON as text), `$N` placeholders, no engine-only
//! features on the hot path. Each backend has its own migrations folder.
//!
//! SQLite is opened in WAL mode with foreign keys on and a busy timeout; its writes go
//! through a single-connection pool and `BEGIN IMMEDIATE`, so concurrent requests queue
//! instead of failing with "database is locked".

mod access;
mod access_source;
mod advisor;
mod applications;
mod auth;
mod auth_tx;
mod chain;
mod chain_walk;
mod connect;
mod error;
mod gauges;
mod group_commit;
mod import_jobs;
mod memberships;
mod notify;
mod oauth;
mod outbox;
mod passkeys;
mod queries;
mod reviews;
mod rows;
mod scim;
mod signing_keys;
mod statistics;
mod store;
mod tx;
mod webhooks;

pub use connect::{Backend, ConnectOptions, connect, migrate};
pub use group_commit::{GroupCommitStats, GroupLimits};
pub use store::SqlStore;

#[cfg(feature = "testing")]
pub mod testing;
