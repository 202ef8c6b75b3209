//! What the engine loads from storage: the access model of one business, whole or in part.

use std::collections::BTreeSet;

use time::OffsetDateTime;

use crate::grants::Grants;
use crate::ids::{ApiKeyId, GroupId, TenantId, UserId};
use crate::model::{GroupScope, SecuritySettings, UserStatus};
use crate::types::{ApiKeyName, GroupName};

/// One user, as far as access is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserData {
    pub id: UserId,
    pub status: UserStatus,
    pub mfa_enrolled: bool,
    /// Whether the user has a passkey: the phishing-resistant factor a passkey policy asks for.
    pub passkey: bool,
    /// When the user became active (or was created, if never): the MFA grace period runs
    /// from here.
    pub active_since: OffsetDateTime,
    pub groups: Vec<GroupId>,
    /// The memberships among `groups` that end (temporary access), with the instant they
    /// end; a membership without an end is not listed.
    pub expiring: Vec<(GroupId, OffsetDateTime)>,
}

/// One group, as far as access is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupData {
    pub id: GroupId,
    pub name: GroupName,
    pub scope: GroupScope,
    pub grants: Grants,
}

/// One API key: what authenticating it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyData {
    pub id: ApiKeyId,
    pub name: ApiKeyName,
    pub secret_hash: [u8; 32],
    pub grants: Grants,
    pub expires_at: Option<OffsetDateTime>,
    pub revoked: bool,
    /// Who made the key, where its rights must stay within theirs.
    pub creator: KeyCreator,
}

/// Who made an API key, for the rule that a key never does more than its maker can now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyCreator {
    /// The operator (or the CLI): the key's own grants are its whole limit.
    Operator,
    /// A user: the key holds at most what the user holds now, and nothing once they are
    /// not active.
    User(crate::ids::UserId),
    /// Another key: at most what that key's grants and its own maker allow.
    ApiKey(ApiKeyId),
}

impl KeyCreator {
    /// From the audit actor recorded at creation.
    pub fn of(actor: &crate::actor::Actor) -> Self {
        use crate::actor::ActorKind;
        let id = actor.id.as_deref().unwrap_or_default();
        match actor.kind {
            ActorKind::User => id.parse().map_or(KeyCreator::Operator, KeyCreator::User),
            ActorKind::ApiKey => id.parse().map_or(KeyCreator::Operator, KeyCreator::ApiKey),
            ActorKind::Operator | ActorKind::System => KeyCreator::Operator,
        }
    }
}

/// The whole access model of a business at change sequence `seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessModelData {
    pub seq: i64,
    pub settings: SecuritySettings,
    pub tenants: Vec<TenantId>,
    pub groups: Vec<GroupData>,
    pub users: Vec<UserData>,
    pub api_keys: Vec<ApiKeyData>,
}

/// What changed in a business after some sequence number, as recorded by the writers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessChanges {
    /// The newest sequence number these changes bring the model to.
    pub seq: i64,
    pub users: BTreeSet<UserId>,
    pub groups: BTreeSet<GroupId>,
    pub api_keys: BTreeSet<ApiKeyId>,
    /// Tenants or settings changed, or the records were pruned: reload everything.
    pub reload: bool,
}
