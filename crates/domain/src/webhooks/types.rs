//! What webhooks are made of: the kinds of events, endpoints, deliveries, the payload.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::audit::AuditEvent;
use crate::ids::{AuditEventId, BusinessId, WebhookDeliveryId, WebhookId};

/// The kinds of events an endpoint subscribes to, each a family of audit actions.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum WebhookEventType {
    /// `user.*`: created, updated, invited, activated, deactivated, locked, MFA changes, …
    Users,
    /// `group.*` except membership: created, updated, deleted, permissions changed.
    Groups,
    /// `group.members_added`, `group.member_removed`, `group.membership_expired`, and
    /// requests for temporary access (`access_request.created`, `…approved`, `…denied`).
    Memberships,
    /// `auth.*`: signed in, sign-in failed, signed out, sessions ended, MFA verified, …
    SignIns,
    /// `review.*`: access reviews started, decided, reminded, escalated and closed, and
    /// their schedules.
    Reviews,
    /// `advisor.*`: best-practice findings opened and resolved.
    Advisor,
    /// `audit.*`: the audit chain's head, when published (for anchoring).
    Audit,
}

impl WebhookEventType {
    pub const ALL: [Self; 7] = [
        Self::Users,
        Self::Groups,
        Self::Memberships,
        Self::SignIns,
        Self::Reviews,
        Self::Advisor,
        Self::Audit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Users => "users",
            Self::Groups => "groups",
            Self::Memberships => "memberships",
            Self::SignIns => "sign_ins",
            Self::Reviews => "reviews",
            Self::Advisor => "advisor",
            Self::Audit => "audit",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }

    /// The kind an audit action belongs to, if any is subscribable.
    pub fn of_action(action: &str) -> Option<Self> {
        let family = action.split('.').next().unwrap_or_default();
        match (family, action) {
            (_, "group.members_added" | "group.member_removed" | "group.membership_expired") => {
                Some(Self::Memberships)
            }
            ("group", _) => Some(Self::Groups),
            ("access_request", _) => Some(Self::Memberships),
            ("user", _) => Some(Self::Users),
            ("auth", _) => Some(Self::SignIns),
            ("review", _) => Some(Self::Reviews),
            ("advisor", _) => Some(Self::Advisor),
            ("audit", _) => Some(Self::Audit),
            _ => None,
        }
    }
}

/// An endpoint a business subscribed. Its secrets are never part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WebhookEndpoint {
    pub id: WebhookId,
    pub business_id: BusinessId,
    pub url: String,
    pub description: String,
    pub event_types: Vec<WebhookEventType>,
    /// Disabled endpoints get nothing; their deliveries wait and resume, in order, when the
    /// endpoint is enabled again.
    pub enabled: bool,
    /// Why it was disabled automatically, if it was.
    pub disabled_reason: Option<String>,
    /// Until when the secret before the last rotation still signs (both signatures are
    /// sent meanwhile).
    #[serde(with = "time::serde::rfc3339::option")]
    pub previous_secret_until: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its turn, its next attempt or its endpoint to be enabled again.
    Pending,
    /// Claimed by a sender (until its lease ends).
    Sending,
    Delivered,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Delivered => "delivered",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Pending, Self::Sending, Self::Delivered]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// One event for one endpoint: the delivery log's line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WebhookDelivery {
    /// Also the `webhook-id` header: the same on every attempt.
    pub id: WebhookDeliveryId,
    pub endpoint_id: WebhookId,
    pub event_id: AuditEventId,
    /// The audit action, e.g. `user.created`.
    pub event_type: String,
    /// The object it is about (`kind:id`): deliveries about one object go out in order.
    pub object: String,
    pub state: DeliveryState,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_attempt_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub delivered_at: Option<OffsetDateTime>,
}

/// The body of a delivery: `{"type", "timestamp", "data"}` (Standard Webhooks), `data` the
/// audit event with its chain link.
pub fn payload_of(event: &AuditEvent, kind: WebhookEventType) -> Value {
    json!({
        "type": event.action,
        "category": kind,
        "timestamp": event
            .occurred_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        "data": event,
    })
}

#[cfg(test)]
mod tests {
    use super::WebhookEventType as T;

    #[test]
    fn every_subscribable_family_maps_to_its_kind() {
        for (action, kind) in [
            ("user.created", Some(T::Users)),
            ("group.updated", Some(T::Groups)),
            ("group.members_added", Some(T::Memberships)),
            ("group.membership_expired", Some(T::Memberships)),
            ("access_request.created", Some(T::Memberships)),
            ("access_request.approved", Some(T::Memberships)),
            ("auth.signed_in", Some(T::SignIns)),
            ("review.closed", Some(T::Reviews)),
            ("advisor.finding_opened", Some(T::Advisor)),
            ("advisor.finding_resolved", Some(T::Advisor)),
            ("audit.head_published", Some(T::Audit)),
            ("settings.advisor_changed", None),
            ("webhook.created", None),
        ] {
            assert_eq!(T::of_action(action), kind, "{action}");
        }
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in T::ALL {
            assert_eq!(T::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(T::parse("everything"), None);
    }
}
