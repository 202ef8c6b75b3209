//! The engine's reads ([`AccessSource`]): the access model, its changes, the feed's sequences.

use async_trait::async_trait;
use gatehouse_domain::Result;
use gatehouse_domain::authz::{
    AccessChanges, AccessModelData, AccessSource, ApiKeyData, GroupData, UserData,
};
use gatehouse_domain::ids::{ApiKeyId, BusinessId, GroupId, UserId};

use crate::access;
use crate::connect::Backend;
use crate::error::db;
use crate::store::SqlStore;

/// What the engine reads, and the change feed polls.
#[async_trait]
impl AccessSource for SqlStore {
    async fn list_change_seqs(&self) -> Result<Vec<(BusinessId, i64)>> {
        let rows = sqlx::query("SELECT id, change_seq FROM businesses")
            .fetch_all(&self.reader)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok((
                    crate::rows::id(r, "id")?,
                    crate::rows::int(r, "change_seq")?,
                ))
            })
            .collect()
    }

    async fn load_access_model(&self, business: BusinessId) -> Result<Option<AccessModelData>> {
        // One read transaction: every row comes from the same committed state.
        let mut tx = self.reader.begin().await.map_err(db)?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        let model = access::load_model(&mut tx, business).await?;
        tx.rollback().await.map_err(db)?;
        Ok(model)
    }

    async fn list_access_changes(
        &self,
        business: BusinessId,
        after_seq: i64,
    ) -> Result<Option<AccessChanges>> {
        access::list_changes(&mut *self.conn().await?, business, after_seq).await
    }

    async fn load_access_users(
        &self,
        business: BusinessId,
        ids: &[UserId],
    ) -> Result<Vec<UserData>> {
        access::load_users(&mut *self.conn().await?, business, ids).await
    }

    async fn load_access_groups(
        &self,
        business: BusinessId,
        ids: &[GroupId],
    ) -> Result<Vec<GroupData>> {
        access::load_groups(&mut *self.conn().await?, business, ids).await
    }

    async fn load_access_api_keys(
        &self,
        business: BusinessId,
        ids: &[ApiKeyId],
    ) -> Result<Vec<ApiKeyData>> {
        access::load_api_keys(&mut *self.conn().await?, business, ids).await
    }
}
