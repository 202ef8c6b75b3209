//! What the engine reads from storage, as a small trait the store implements: the whole
//! access model of a business, what changed after a sequence number, and the records those
//! changes name. The engine knows nothing else of storage.

use async_trait::async_trait;

use crate::data::{AccessChanges, AccessModelData, ApiKeyData, GroupData, UserData};
use crate::error::Result;
use crate::ids::{ApiKeyId, BusinessId, GroupId, UserId};

/// Where the change feed has read up to, as [`AccessSource::list_changes_since`] left it.
/// Opaque to the engine: its meaning is the store's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedCursor(pub i64);

#[async_trait]
pub trait AccessSource: Send + Sync {
    /// Every business with its change sequence (start-up, and the lag the metrics show).
    async fn list_change_seqs(&self) -> Result<Vec<(BusinessId, i64)>>;
    /// The businesses whose change sequence may have moved after `cursor` (every business
    /// when `None`), with their sequences, and the cursor to pass next time. A business may be
    /// listed again though it has not moved; one that moved is never left out. What the change
    /// feed polls: its cost follows the businesses that change, not how many there are.
    async fn list_changes_since(
        &self,
        cursor: Option<FeedCursor>,
    ) -> Result<(Vec<(BusinessId, i64)>, FeedCursor)>;
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
