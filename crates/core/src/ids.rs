//! Typed ids: a `UserId` cannot be passed where a `GroupId` is expected. All are UUIDv7,
//! made in Rust from the [`Clock`](crate::Clock)'s time, so they sort by creation.

use std::{fmt, marker::PhantomData, str::FromStr, sync::Mutex};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use uuid::{ContextV7, Timestamp, Uuid};

/// The counter that keeps this process's UUIDv7s monotonic.
static CONTEXT: Mutex<ContextV7> = Mutex::new(ContextV7::new());

/// An id of an object of kind `K`.
pub struct Id<K> {
    uuid: Uuid,
    kind: PhantomData<fn() -> K>,
}

/// Names the kind of object an [`Id`] points at.
pub trait IdKind {
    const NAME: &'static str;
}

macro_rules! id_kinds {
    ($($marker:ident => $alias:ident, $name:literal;)*) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $marker {}
        impl IdKind for $marker { const NAME: &'static str = $name; }
        pub type $alias = Id<$marker>;
    )*};
}

id_kinds! {
    BusinessKind => BusinessId, "business";
    TenantKind => TenantId, "tenant";
    UserKind => UserId, "user";
    GroupKind => GroupId, "group";
    ApiKeyKind => ApiKeyId, "api_key";
    AuditEventKind => AuditEventId, "audit_event";
    SessionKind => SessionId, "session";
    MailKind => MailId, "mail";
    ApplicationKind => ApplicationId, "application";
    OAuthGrantKind => OAuthGrantId, "oauth_grant";
    PasskeyKind => PasskeyId, "passkey";
    ImportJobKind => ImportJobId, "import_job";
    AccessRequestKind => AccessRequestId, "access_request";
    AccessReviewKind => AccessReviewId, "access_review";
    ReviewItemKind => ReviewItemId, "review_item";
    ReviewScheduleKind => ReviewScheduleId, "review_schedule";
    WebhookKind => WebhookId, "webhook";
    WebhookDeliveryKind => WebhookDeliveryId, "webhook_delivery";
}

impl<K> Id<K> {
    /// A new UUIDv7 at time `now`. Ids made by this process sort in the order they were
    /// made, even within one millisecond (a shared counter fills the random bits' top).
    pub fn new(now: OffsetDateTime) -> Self {
        let nanos = now.unix_timestamp_nanos().max(0);
        let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(0);
        let subsec = u32::try_from(nanos % 1_000_000_000).unwrap_or(0);
        let context = CONTEXT.lock().unwrap_or_else(|e| e.into_inner());
        Self::from_uuid(Uuid::new_v7(Timestamp::from_unix(&*context, secs, subsec)))
    }

    pub const fn from_uuid(uuid: Uuid) -> Self {
        Self {
            uuid,
            kind: PhantomData,
        }
    }

    pub const fn as_uuid(&self) -> &Uuid {
        &self.uuid
    }
}

impl<K> Clone for Id<K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K> Copy for Id<K> {}
impl<K> PartialEq for Id<K> {
    fn eq(&self, other: &Self) -> bool {
        self.uuid == other.uuid
    }
}
impl<K> Eq for Id<K> {}
impl<K> std::hash::Hash for Id<K> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.uuid.hash(state);
    }
}
impl<K> PartialOrd for Id<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<K> Ord for Id<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.uuid.cmp(&other.uuid)
    }
}
impl<K: IdKind> fmt::Debug for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", K::NAME, self.uuid)
    }
}
impl<K> fmt::Display for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.uuid.hyphenated().fmt(f)
    }
}
impl<K> FromStr for Id<K> {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self::from_uuid)
    }
}
impl<K> Serialize for Id<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.uuid.serialize(s)
    }
}
impl<'de, K> Deserialize<'de> for Id<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Uuid::deserialize(d).map(Self::from_uuid)
    }
}
impl<K> utoipa::PartialSchema for Id<K> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Uuid,
            )))
            .into()
    }
}
impl<K> utoipa::ToSchema for Id<K> {}
