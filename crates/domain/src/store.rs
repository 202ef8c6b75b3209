//! The storage boundary. One trait, usable as a trait object, implemented for SQLite and
//! PostgreSQL by `gatehouse-store`. Reads go through [`Store`]; every change goes through a
//! [`StoreTx`], which can only be committed together with the audit events that describe it,
//! and which bumps the business's change sequence in the same transaction.

mod gauges;
mod member_until;
mod user_list;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::audit::{AuditEvent, AuditFilter};
use crate::audit_chain::{ChainHead, ChainVerifier};
use crate::auth::passkey_store::{PasskeyReads, PasskeyWrites};
use crate::auth::store::{AuthReads, AuthWrites};
use crate::authz::AccessSource;
use crate::error::Result;
use crate::ids::{ApiKeyId, AuditEventId, BusinessId, GroupId, TenantId, UserId};
use crate::mail::outbox::{MailOutbox, MailOutboxTx};
use crate::model::{ApiKey, Business, Group, SecuritySettings, StoredApiKey, Tenant, User};
use crate::oidc::applications::store::{ApplicationReads, ApplicationWrites};
use crate::oidc::grants::{OAuthReads, OAuthWrites};
use crate::oidc::store::{SigningKeyStore, SigningKeyWrites};
use crate::scim::{ScimReads, ScimWrites};
use crate::services::ImportJobs;
use crate::types::ApiKeyName;
use crate::types::Email;
use crate::webhooks::store::{WebhookReads, WebhookWrites};
pub use gauges::{PoolGauge, StoreGauges};
pub use member_until::MemberUntil;
pub use user_list::{CURSOR_SEPARATOR, UserFilter, UserSort, UserTotal};

/// Read access. Every method that takes a `BusinessId` only ever sees that business.
#[async_trait]
pub trait Store:
    AccessSource
    + WebhookReads
    + AuthReads
    + PasskeyReads
    + ApplicationReads
    + ScimReads
    + MailOutbox
    + OAuthReads
    + SigningKeyStore
    + ImportJobs
    + crate::services::temporary::MembershipReads
    + crate::services::advisor::AdvisorReads
    + crate::services::reviews::ReviewReads
    + Send
    + Sync
    + std::fmt::Debug
{
    /// Whether the database answers.
    async fn ping(&self) -> Result<()>;

    /// Starts a write transaction.
    async fn begin(&self) -> Result<Box<dyn StoreTx>>;
    /// Brings the query planner's statistics of users and memberships up to date: a bulk
    /// import grows those tables faster than the engine notices, and stale statistics turn
    /// its per-batch lookups and the listings after it into scans.
    async fn refresh_statistics(&self) -> Result<()> {
        Ok(())
    }

    async fn get_business(&self, id: BusinessId) -> Result<Option<Business>>;
    /// Businesses ordered by id, after the id `after`.
    async fn list_businesses(&self, after: Option<BusinessId>, limit: u32)
    -> Result<Vec<Business>>;
    /// Queue depths and connection pools, for `/metrics` (none by default).
    async fn gauges(&self) -> Result<StoreGauges> {
        Ok(StoreGauges::default())
    }
    /// The business's access-model change sequence (bumped by every committed change).
    async fn get_change_seq(&self, business: BusinessId) -> Result<i64>;
    /// Signalled when another node may have committed a change (PostgreSQL LISTEN/NOTIFY),
    /// so the feed can poll at once instead of at its next tick. `None`: poll only.
    fn change_signal(&self) -> Option<std::sync::Arc<tokio::sync::Notify>> {
        None
    }
    async fn get_security_settings(&self, business: BusinessId)
    -> Result<Option<SecuritySettings>>;

    async fn get_tenant(&self, business: BusinessId, id: TenantId) -> Result<Option<Tenant>>;
    /// All tenants of the business, ordered by slug.
    async fn list_tenants(&self, business: BusinessId) -> Result<Vec<Tenant>>;

    async fn get_user(&self, business: BusinessId, id: UserId) -> Result<Option<User>>;
    /// The users of the business among `ids`, in the order of `ids`.
    async fn get_users(&self, business: BusinessId, ids: &[UserId]) -> Result<Vec<User>>;
    /// The users of the business with these emails (any order; unknown emails are left out).
    async fn get_users_by_email(&self, business: BusinessId, emails: &[Email])
    -> Result<Vec<User>>;
    /// Users in the filter's order, after the keyset position `after`; and how many match
    /// in all (exactly, or estimated when many match and the filter does not ask for exact).
    async fn list_users(
        &self,
        business: BusinessId,
        filter: &UserFilter,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<User>, UserTotal)>;

    async fn get_group(&self, business: BusinessId, id: GroupId) -> Result<Option<Group>>;
    /// All groups of the business with member counts, ordered by name.
    async fn list_groups(&self, business: BusinessId) -> Result<Vec<Group>>;

    /// An API key by id, in any business: authentication starts here.
    async fn get_api_key(&self, id: ApiKeyId) -> Result<Option<StoredApiKey>>;
    /// The business's API keys, newest first.
    async fn list_api_keys(&self, business: BusinessId) -> Result<Vec<ApiKey>>;
    /// Records use of a key. Not an access-model change and not audited.
    async fn touch_api_key(&self, id: ApiKeyId, at: OffsetDateTime) -> Result<()>;

    /// Events of the business, newest first.
    async fn list_audit_events(
        &self,
        business: BusinessId,
        filter: &AuditFilter,
        limit: u32,
    ) -> Result<Vec<AuditEvent>>;

    /// The business's audit chain head as recorded (genesis when it has no event yet).
    async fn get_audit_chain_head(&self, business: BusinessId) -> Result<ChainHead>;
    /// Linked events of the business in chain order, after `(seq, id)`.
    async fn list_audit_chain(
        &self,
        business: BusinessId,
        after: Option<(i64, AuditEventId)>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>>;
    /// The business's first event that is not linked into its chain, if any.
    async fn first_unchained_audit_event(&self, business: BusinessId)
    -> Result<Option<AuditEvent>>;
    /// Feeds the business's linked events, in chain order, to `verifier` until it finds a
    /// broken link. By default a page at a time; the SQL store streams the rows.
    async fn walk_audit_chain(
        &self,
        business: BusinessId,
        verifier: &mut ChainVerifier,
    ) -> Result<()> {
        let mut after = None;
        loop {
            let batch = self.list_audit_chain(business, after, CHAIN_PAGE).await?;
            let Some(last) = batch.last() else {
                return Ok(());
            };
            after = last.chain.as_ref().map(|l| (l.seq, last.id));
            batch.iter().for_each(|e| verifier.push(e));
            if verifier.is_broken() || batch.len() < CHAIN_PAGE as usize {
                return Ok(());
            }
        }
    }
}

/// How many events [`Store::walk_audit_chain`] reads a page at a time by default.
const CHAIN_PAGE: u32 = 5_000;

/// Writes to a business, its settings and its tenants, inside a [`StoreTx`].
#[async_trait]
pub trait BusinessWrites: Send {
    async fn get_business(&mut self, id: BusinessId) -> Result<Option<Business>>;
    async fn get_tenant(&mut self, business: BusinessId, id: TenantId) -> Result<Option<Tenant>>;
    /// How many groups name this tenant in their tenant set.
    async fn count_groups_using_tenant(
        &mut self,
        business: BusinessId,
        id: TenantId,
    ) -> Result<i64>;
    /// A new business with its first security settings (the domain's defaults).
    async fn insert_business(
        &mut self,
        business: &Business,
        settings: &SecuritySettings,
    ) -> Result<()>;
    async fn update_business(&mut self, business: &Business) -> Result<()>;
    async fn get_security_settings(
        &mut self,
        business: BusinessId,
    ) -> Result<Option<SecuritySettings>>;
    async fn update_security_settings(
        &mut self,
        business: BusinessId,
        settings: &SecuritySettings,
    ) -> Result<()>;
    async fn insert_tenant(&mut self, tenant: &Tenant) -> Result<()>;
    async fn update_tenant(&mut self, tenant: &Tenant) -> Result<()>;
    async fn delete_tenant(&mut self, business: BusinessId, id: TenantId) -> Result<()>;
}

/// Writes to users and their memberships, inside a [`StoreTx`].
#[async_trait]
pub trait UserWrites: Send {
    async fn get_user(&mut self, business: BusinessId, id: UserId) -> Result<Option<User>>;
    /// [`Store::get_users_by_email`] inside the transaction.
    async fn get_users_by_email(
        &mut self,
        business: BusinessId,
        emails: &[Email],
    ) -> Result<Vec<User>>;
    async fn insert_user(&mut self, user: &User) -> Result<()>;
    /// Several new users at once (a bulk import's batch).
    async fn insert_users(&mut self, users: &[User]) -> Result<()> {
        for u in users {
            self.insert_user(u).await?;
        }
        Ok(())
    }
    /// Writes `user` (whose `version` is the new one) if the stored version is
    /// `expected_version`; otherwise fails with `VersionConflict`.
    async fn update_user(&mut self, user: &User, expected_version: i64) -> Result<()>;
    /// Replaces the user's group memberships.
    async fn set_user_groups(
        &mut self,
        business: BusinessId,
        user: UserId,
        groups: &[GroupId],
        at: OffsetDateTime,
    ) -> Result<()>;
}

/// Writes to groups and their members, inside a [`StoreTx`].
#[async_trait]
pub trait GroupWrites: Send {
    async fn get_group(&mut self, business: BusinessId, id: GroupId) -> Result<Option<Group>>;
    async fn insert_group(&mut self, group: &Group) -> Result<()>;
    /// Like [`UserWrites::update_user`], for groups (name, description, scope, grants).
    async fn update_group(&mut self, group: &Group, expected_version: i64) -> Result<()>;
    /// Deletes the group and its memberships.
    async fn delete_group(&mut self, business: BusinessId, id: GroupId) -> Result<()>;
    /// Adds members for as long as `until` says; returns how many were not members before
    /// or had their end changed.
    async fn add_group_members(
        &mut self,
        business: BusinessId,
        group: GroupId,
        users: &[UserId],
        at: OffsetDateTime,
        until: MemberUntil,
    ) -> Result<u64>;
    /// Removes one member; returns whether it was a member.
    async fn remove_group_member(
        &mut self,
        business: BusinessId,
        group: GroupId,
        user: UserId,
    ) -> Result<bool>;
}

/// Writes to API keys, inside a [`StoreTx`].
#[async_trait]
pub trait KeyWrites: Send {
    async fn get_api_key(&mut self, business: BusinessId, id: ApiKeyId) -> Result<Option<ApiKey>>;
    async fn insert_api_key(&mut self, key: &StoredApiKey) -> Result<()>;
    async fn revoke_api_key(
        &mut self,
        business: BusinessId,
        id: ApiKeyId,
        at: OffsetDateTime,
    ) -> Result<()>;
    /// Renames a live key (an application's service key follows its application's name).
    async fn rename_api_key(
        &mut self,
        business: BusinessId,
        id: ApiKeyId,
        name: &ApiKeyName,
    ) -> Result<()>;
}

/// One write transaction. Dropping it without [`StoreTx::commit`] rolls everything back.
/// Its writes are grouped by resource in the supertraits.
#[async_trait]
pub trait StoreTx:
    AuthWrites
    + PasskeyWrites
    + BusinessWrites
    + UserWrites
    + GroupWrites
    + KeyWrites
    + ApplicationWrites
    + ScimWrites
    + MailOutboxTx
    + OAuthWrites
    + SigningKeyWrites
    + crate::services::temporary::MembershipWrites
    + crate::services::advisor::AdvisorWrites
    + crate::services::reviews::ReviewWrites
    + WebhookWrites
    + Send
{
    /// Writes the audit events, bumps the change sequence of every business touched and
    /// records what changed for the change feed, then commits, all or nothing. At least one event is required: there is no silent
    /// change.
    /// Returns the businesses whose access model changed (their snapshots need a refresh).
    async fn commit(self: Box<Self>, events: Vec<AuditEvent>) -> Result<Vec<BusinessId>>;
}
