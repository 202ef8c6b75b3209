//! Gatehouse's domain: validated types, the permission catalog, who may do what, the
//! operations themselves and the storage trait they run on. Nothing here knows HTTP or SQL.

pub mod auth;
pub mod mail;
pub mod meters;
pub mod oidc;
pub mod principal;
pub mod scim;
pub mod services;
pub mod store;
pub mod webhooks;

// The core vocabulary and the engine, under the paths the rest of the code names them by.
pub use gatehouse_authz as authz;
pub use gatehouse_core::{Clock, Error, ManualClock, Result, SystemClock};
pub use gatehouse_core::{
    application, audit, audit_chain, catalog, clock, error, grants, ids, model, page, types,
};
pub use services::Gatehouse;
