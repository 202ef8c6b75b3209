//! SCIM 2.0 (RFC 7643, RFC 7644): provisioning a business's users and group memberships
//! from an identity provider (Okta, Microsoft Entra ID, …). The protocol's pieces are pure
//! (filters, PATCH, schemas, documents); the services in `users` and `groups` take the
//! `scim.provision` capability and keep every rule of the other services: isolation, no
//! escalation through groups, the last administrator, one transaction with its audit events.

mod ast;
pub mod eval;
pub mod filter;
#[cfg(test)]
mod filter_tests;
pub mod group_patch;
mod groups;
mod list;
pub mod patch;
mod patch_read;
pub mod render;
pub mod resource;
pub mod schema;
mod settings;
pub mod store;
mod users;

pub use group_patch::GroupInput;
pub use groups::ScimGroup;
pub use list::{ListPage, ListQuery, MAX_COUNT};
pub use resource::{Projection, ScimUserExtras, UserInput};
pub use settings::SHOWN_REQUESTS;
pub use store::{ScimReads, ScimRequest, ScimSettings, ScimWrites};
pub use users::ScimUser;
