//! What the engine reads from storage, as a small trait the store implements: the whole
//! access model of a business, what changed after a sequence number, and the records those
//! changes name. The engine knows nothing else of storage.

use async_trait::async_trait;

use crate::data::{AccessChanges, AccessModelData, ApiKeyData, GroupData, UserData};
use crate::error::Result;
use crate::ids::{ApiKeyId, BusinessId, GroupId, UserId};

#[async_trait]
pub trait AccessSource: Send + Sync {
    /// Every business with its change sequence: what the change feed polls.
    async fn list_change_seqs(&self) -> Result<Vec<(BusinessId, i64)>>;
    /// The whole access model of a business, consistent at one sequence number; `None`
    /// when the business does not exist.
    async fn load_access_model(&self, business: BusinessId) -> Result<Option<AccessModelData>>;
    /// What changed after `after_seq`; `None` when the records no longer reach back that
    /// far (the caller reloads everything).
    async fn list_access_changes(
        &self,
        business: BusinessId,
        after_seq: i64,
    ) -> Result<Option<AccessChanges>>;
    async fn load_access_users(
        &self,
        business: BusinessId,
        ids: &[UserId],
    ) -> Result<Vec<UserData>>;
    async fn load_access_groups(
        &self,
        business: BusinessId,
        ids: &[GroupId],
    ) -> Result<Vec<GroupData>>;
    async fn load_access_api_keys(
        &self,
        business: BusinessId,
        ids: &[ApiKeyId],
    ) -> Result<Vec<ApiKeyData>>;
}
