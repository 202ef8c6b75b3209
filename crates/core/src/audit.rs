//! The audit trail: an immutable record of who did what to whom, when and from where.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::actor::Actor;
use crate::ids::{AuditEventId, BusinessId};

/// Where a request came from; recorded with every event it causes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// What an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditTarget {
    /// `business`, `tenant`, `user`, `group`, `api_key`, …
    pub kind: String,
    pub id: String,
    /// A readable name at the time of the event (email, group name, …).
    pub label: String,
}

/// One immutable audit record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEvent {
    pub id: AuditEventId,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    pub business_id: Option<BusinessId>,
    pub actor: Actor,
    /// Stable dotted name, e.g. `group.permissions_changed`.
    pub action: String,
    pub target: AuditTarget,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    /// The event's place in its business's hash chain; absent until the event is written
    /// (and on events that belong to no business).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<ChainLink>,
}

/// An event's link in its business's hash chain: its position, the hash of the event before
/// it and its own hash (SHA-256 over its canonical content, which includes both), in
/// lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChainLink {
    /// 1 for the business's first event, then one more for each.
    pub seq: i64,
    pub prev_hash: String,
    pub hash: String,
}

/// Which events to read, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<String>,
    pub target_id: Option<String>,
    /// Matches `action` exactly or as a dotted prefix (`group` matches `group.created`).
    pub action_prefix: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    /// Keyset cursor: only events older than this one.
    pub before_id: Option<AuditEventId>,
}
