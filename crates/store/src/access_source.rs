//! The engine's reads ([`AccessSource`]): the access model, its changes, the feed's sequences.

use async_trait::async_trait;
use gatehouse_domain::Result;
use gatehouse_domain::authz::{
    AccessChanges, AccessModelData, AccessSource, ApiKeyData, FeedCursor, GroupData, UserData,
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

    async fn list_changes_since(
        &self,
        cursor: Option<FeedCursor>,
    ) -> Result<(Vec<(BusinessId, i64)>, FeedCursor)> {
        // Every business on the first pass; after it, the businesses whose cursor column moved
        // (see the migration `change_feed` for why no committed change is left out).
        let after = cursor.map_or(-1, |c| c.0);
        let (query, bound) = match self.backend {
            // The horizon and the rows come from one statement, so from one snapshot.
            Backend::Postgres => (
                "SELECT CAST(CAST(h.horizon AS TEXT) AS BIGINT) AS horizon, b.id, b.change_seq \
                 FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS horizon) h \
                 LEFT JOIN businesses b ON b.change_tx >= CAST(CAST($1 AS TEXT) AS xid8)",
                after.max(0),
            ),
            Backend::Sqlite => (
                "SELECT change_tick AS horizon, id, change_seq \
                 FROM businesses WHERE change_tick > $1",
                after,
            ),
        };
        let rows = sqlx::query(query)
            .bind(bound)
            .fetch_all(&self.reader)
            .await
            .map_err(db)?;
        let mut next = after.max(0);
        let mut moved = Vec::with_capacity(rows.len());
        for r in &rows {
            let mark = crate::rows::int(r, "horizon")?;
            next = match self.backend {
                Backend::Postgres => mark,
                Backend::Sqlite => next.max(mark),
            };
            // PostgreSQL's one row without a business when none moved.
            if crate::rows::opt_text(r, "id")?.is_some() {
                moved.push((
                    crate::rows::id(r, "id")?,
                    crate::rows::int(r, "change_seq")?,
                ));
            }
        }
        Ok((moved, FeedCursor(next)))
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
