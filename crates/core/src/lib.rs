//! Gatehouse's core vocabulary: identifiers, validated names, the permission catalog, grant
//! sets, the records of a business (users, groups, tenants, keys), actors and audit events,
//! the clock, and the one error type. Plain data and parsing; no policy, no I/O.

pub mod actor;
pub mod application;
pub mod audit;
pub mod audit_chain;
pub mod catalog;
pub mod clock;
pub mod error;
pub mod grants;
pub mod ids;
pub mod model;
pub mod page;
pub mod types;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, Result};
