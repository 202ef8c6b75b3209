//! Gatehouse's domain: validated types, the permission catalog, who may do what, the
//! operations themselves and the storage trait they run on. Nothing here knows HTTP or SQL.

pub mod audit;
pub mod auth;
pub mod authz;
pub mod catalog;
pub mod clock;
pub mod error;
pub mod grants;
pub mod ids;
pub mod mail;
pub mod model;
pub mod page;
pub mod principal;
pub mod services;
pub mod store;
pub mod types;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, Result};
pub use services::Gatehouse;
