//! What temporary access reads and writes: memberships with an end.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::requests::AccessRequest;
use crate::error::Result;
use crate::ids::{AccessRequestId, BusinessId, GroupId, UserId};
use crate::types::{Email, GroupName};

/// A membership whose end has come, for the sweeper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedMembership {
    pub business: BusinessId,
    pub group: GroupId,
    pub user: UserId,
    pub expires_at: OffsetDateTime,
}

/// A membership with an end, as the dashboard and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TemporaryMembership {
    pub group_id: GroupId,
    pub group_name: GroupName,
    pub user_id: UserId,
    pub email: Email,
    /// When the membership ends (RFC 3339); the engine denies its rights from then on.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

#[async_trait]
pub trait MembershipReads: Send + Sync {
    /// Memberships of any business that ended at or before `now`, oldest end first.
    async fn list_ended_memberships(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<EndedMembership>>;
    /// The business's memberships that have an end (ended or not), soonest end first.
    async fn list_temporary_memberships(
        &self,
        business: BusinessId,
    ) -> Result<Vec<TemporaryMembership>>;
    /// The business's requests for access (only `user`'s when given), newest first.
    async fn list_access_requests(
        &self,
        business: BusinessId,
        user: Option<UserId>,
    ) -> Result<Vec<AccessRequest>>;
}

#[async_trait]
pub trait MembershipWrites: Send {
    /// Deletes the membership if it still ends exactly when `m` says (it was not extended
    /// or made permanent meanwhile); whether it did.
    async fn delete_ended_membership(&mut self, m: &EndedMembership) -> Result<bool>;
    async fn insert_access_request(
        &mut self,
        business: BusinessId,
        request: &AccessRequest,
    ) -> Result<()>;
    async fn get_access_request(
        &mut self,
        business: BusinessId,
        id: AccessRequestId,
    ) -> Result<Option<AccessRequest>>;
    /// Records the decision of a request that is still pending; whether it was.
    async fn decide_access_request(
        &mut self,
        business: BusinessId,
        request: &AccessRequest,
    ) -> Result<bool>;
}
