//! The storage SCIM needs beyond users and groups, as two traits the `Store` and `StoreTx`
//! also are: what a provisioned user carries besides the account, groups' external ids, the
//! business's provisioning settings, and the log of recent requests for the dashboard.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::resource::ScimUserExtras;
use crate::error::Result;
use crate::ids::{BusinessId, GroupId, UserId};
use crate::types::Email;

/// How a business provisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScimSettings {
    /// Mail a created user an invitation (`true`, the default); otherwise they stay
    /// pending until they are invited from the dashboard or the API.
    pub invite: bool,
}

impl Default for ScimSettings {
    fn default() -> Self {
        Self { invite: true }
    }
}

/// One SCIM request as the dashboard's Provisioning page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimRequest {
    pub at: OffsetDateTime,
    /// The credential's label (API key or application name).
    pub actor: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    /// The error's `scimType` and detail, for a refused request.
    pub error: Option<String>,
}

/// How many requests the log keeps per business.
pub const KEEP_REQUESTS: i64 = 200;

/// Reads for SCIM. Each is an indexed read of one business.
#[async_trait]
pub trait ScimReads: Send + Sync {
    async fn get_scim_user(
        &self,
        business: BusinessId,
        user: UserId,
    ) -> Result<Option<ScimUserExtras>>;
    /// Every provisioned user's extras.
    async fn list_scim_users(&self, business: BusinessId) -> Result<Vec<(UserId, ScimUserExtras)>>;
    /// The users with this external id (case-exact).
    async fn find_scim_users_by_external_id(
        &self,
        business: BusinessId,
        external_id: &str,
    ) -> Result<Vec<UserId>>;
    /// Groups' external ids.
    async fn list_scim_groups(&self, business: BusinessId) -> Result<Vec<(GroupId, String)>>;
    async fn get_scim_settings(&self, business: BusinessId) -> Result<ScimSettings>;
    /// The latest requests, newest first.
    async fn list_scim_requests(
        &self,
        business: BusinessId,
        limit: u32,
    ) -> Result<Vec<ScimRequest>>;
    /// Logs a request (not a change of the business: no audit event), keeping the latest
    /// [`KEEP_REQUESTS`].
    async fn record_scim_request(&self, business: BusinessId, request: &ScimRequest) -> Result<()>;
}

/// Writes for SCIM, inside a [`StoreTx`](crate::store::StoreTx).
#[async_trait]
pub trait ScimWrites: Send {
    async fn put_scim_user(
        &mut self,
        business: BusinessId,
        user: UserId,
        extras: &ScimUserExtras,
    ) -> Result<()>;
    async fn delete_scim_user(&mut self, business: BusinessId, user: UserId) -> Result<()>;
    /// Changes a user's email (SCIM `userName`); `EmailTaken` if another user has it.
    async fn set_user_email(
        &mut self,
        business: BusinessId,
        user: UserId,
        email: &Email,
    ) -> Result<()>;
    /// Sets (or with `None` clears) a group's external id.
    async fn put_scim_group(
        &mut self,
        business: BusinessId,
        group: GroupId,
        external_id: Option<&str>,
    ) -> Result<()>;
    async fn put_scim_settings(
        &mut self,
        business: BusinessId,
        settings: ScimSettings,
    ) -> Result<()>;
}
