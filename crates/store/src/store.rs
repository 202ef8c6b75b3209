//! [`SqlStore`]: the read side of the [`Store`] trait, and the door to write transactions.

use async_trait::async_trait;
use gatehouse_domain::audit::{AuditEvent, AuditFilter};
use gatehouse_domain::audit_chain::ChainHead;
use gatehouse_domain::clock::to_micros;
use gatehouse_domain::ids::{ApiKeyId, AuditEventId, BusinessId, GroupId, TenantId, UserId};
use gatehouse_domain::model::{
    ApiKey, Business, Group, SecuritySettings, StoredApiKey, Tenant, User,
};
use gatehouse_domain::store::{Store, StoreTx, UserFilter};
use gatehouse_domain::{Error, Result};
use std::sync::Arc;

use sqlx::AnyPool;
use sqlx::pool::PoolConnection;
use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use crate::connect::Backend;
use crate::error::db;
use crate::group_commit::{GroupCommit, GroupCommitStats, GroupLimits};
use crate::tx::{SqlTx, Writer};
use crate::{access, queries};

/// The SQL store. For SQLite, `writer` is a one-connection pool and `reader` a pool of many;
/// for PostgreSQL both are the same pool.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pub(crate) backend: Backend,
    pub(crate) reader: AnyPool,
    writer: AnyPool,
    /// SQLite: the writer's group commit, through which every [`Store::begin`] goes.
    group: Option<GroupCommit>,
    /// PostgreSQL: woken by other nodes' commits; see [`crate::notify`].
    changes: Option<(Arc<Notify>, AbortHandle)>,
    /// Woken when a transaction of this process that wrote mail commits.
    pub(crate) mail_signal: Arc<Notify>,
    /// Woken when a transaction of this process that queued back-channel logouts commits.
    pub(crate) logout_signal: Arc<Notify>,
    /// Woken when a transaction of this process that enqueued webhook deliveries commits.
    pub(crate) webhook_signal: Arc<Notify>,
    /// Held while this process refreshes stale planner statistics; see [`crate::statistics`].
    pub(crate) analysing: Arc<tokio::sync::Mutex<()>>,
}

impl SqlStore {
    pub(crate) fn new(backend: Backend, reader: AnyPool, writer: AnyPool) -> Self {
        Self {
            backend,
            reader,
            writer,
            group: None,
            changes: None,
            mail_signal: Arc::new(Notify::new()),
            logout_signal: Arc::new(Notify::new()),
            webhook_signal: Arc::new(Notify::new()),
            analysing: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Sends SQLite's write transactions through a group commit with these limits.
    pub(crate) fn with_group_commit(mut self, limits: GroupLimits) -> Self {
        if self.backend == Backend::Sqlite {
            self.group = Some(GroupCommit::new(self.writer.clone(), limits));
        }
        self
    }

    /// The group commit's counters (SQLite; `None` on PostgreSQL, which groups its own WAL
    /// flushes).
    pub fn group_commit_stats(&self) -> Option<GroupCommitStats> {
        self.group.as_ref().map(GroupCommit::stats)
    }

    /// Starts listening for other nodes' change notifications (PostgreSQL).
    pub(crate) fn listen_for_changes(&mut self, url: &str) {
        let notify = Arc::new(Notify::new());
        let task = crate::notify::spawn_listener(url.to_owned(), notify.clone());
        self.changes = Some((notify, task));
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn reader(&self) -> &AnyPool {
        &self.reader
    }

    pub(crate) fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// A write transaction on the writer pool.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.backend {
            // Take the write lock up front: a read-then-write transaction can then never fail
            // to upgrade, and other writers wait in the busy handler instead of erroring.
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.writer.begin().await,
        }
        .map_err(db)
    }

    pub(crate) async fn conn(&self) -> Result<PoolConnection<sqlx::Any>> {
        self.reader.acquire().await.map_err(db)
    }

    /// The rows `sql` reads for one business (bound as `$1`).
    pub(crate) async fn business_rows(
        &self,
        sql: &str,
        business: BusinessId,
    ) -> Result<Vec<sqlx::any::AnyRow>> {
        sqlx::query(sql)
            .bind(business.to_string())
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(db)
    }

    /// Closes the pools, waiting for connections in use.
    pub async fn close(&self) {
        if let Some((_, task)) = &self.changes {
            task.abort();
        }
        self.writer.close().await;
        self.reader.close().await;
    }
}

#[async_trait]
impl Store for SqlStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn begin(&self) -> Result<Box<dyn StoreTx>> {
        let tx = match &self.group {
            Some(group) => Writer::Grouped(group.begin().await?),
            None => Writer::Own(self.begin_write().await?),
        };
        Ok(Box::new(
            SqlTx::new(tx, self.backend == Backend::Postgres)
                .with_mail_signal(self.mail_signal.clone())
                .with_logout_signal(self.logout_signal.clone())
                .with_webhook_signal(self.webhook_signal.clone()),
        ))
    }

    async fn get_business(&self, id: BusinessId) -> Result<Option<Business>> {
        queries::get_business(&mut *self.conn().await?, id).await
    }

    async fn list_businesses(
        &self,
        after: Option<BusinessId>,
        limit: u32,
    ) -> Result<Vec<Business>> {
        queries::list_businesses(&mut *self.conn().await?, after, limit).await
    }

    async fn gauges(&self) -> Result<gatehouse_domain::store::StoreGauges> {
        crate::gauges::read(self).await
    }

    async fn get_change_seq(&self, business: BusinessId) -> Result<i64> {
        let row = sqlx::query("SELECT change_seq FROM businesses WHERE id = $1")
            .bind(business.to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(db)?
            .ok_or(Error::BusinessNotFound)?;
        crate::rows::int(&row, "change_seq")
    }

    fn change_signal(&self) -> Option<Arc<Notify>> {
        self.changes.as_ref().map(|(notify, _)| notify.clone())
    }

    async fn get_security_settings(
        &self,
        business: BusinessId,
    ) -> Result<Option<SecuritySettings>> {
        Ok(access::get_settings(&mut *self.conn().await?, business)
            .await?
            .map(|(_, s)| s))
    }

    async fn get_tenant(&self, business: BusinessId, id: TenantId) -> Result<Option<Tenant>> {
        queries::get_tenant(&mut *self.conn().await?, business, id).await
    }

    async fn list_tenants(&self, business: BusinessId) -> Result<Vec<Tenant>> {
        queries::list_tenants(&mut *self.conn().await?, business).await
    }

    async fn get_user(&self, business: BusinessId, id: UserId) -> Result<Option<User>> {
        queries::get_user(&mut *self.conn().await?, business, id).await
    }

    async fn refresh_statistics(&self) -> Result<()> {
        crate::statistics::refresh(self).await
    }

    async fn get_users(&self, business: BusinessId, ids: &[UserId]) -> Result<Vec<User>> {
        queries::get_users(&mut *self.conn().await?, business, ids).await
    }

    async fn get_users_by_email(
        &self,
        business: BusinessId,
        emails: &[gatehouse_domain::types::Email],
    ) -> Result<Vec<User>> {
        queries::get_users_by_email(&mut *self.conn().await?, business, emails).await
    }

    async fn list_users(
        &self,
        business: BusinessId,
        filter: &UserFilter,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<User>, gatehouse_domain::store::UserTotal)> {
        if let Err(e) = crate::statistics::refresh_if_stale(self, business).await {
            tracing::warn!(error = %e, "planner statistics not checked");
        }
        queries::list_users(
            &mut *self.conn().await?,
            self.backend,
            business,
            filter,
            after,
            limit,
        )
        .await
    }

    async fn get_group(&self, business: BusinessId, id: GroupId) -> Result<Option<Group>> {
        queries::get_group(&mut *self.conn().await?, business, id).await
    }

    async fn list_groups(&self, business: BusinessId) -> Result<Vec<Group>> {
        queries::list_groups(&mut *self.conn().await?, business).await
    }

    async fn get_api_key(&self, id: ApiKeyId) -> Result<Option<StoredApiKey>> {
        queries::get_api_key(&mut *self.conn().await?, None, id).await
    }

    async fn list_api_keys(&self, business: BusinessId) -> Result<Vec<ApiKey>> {
        let keys = queries::list_api_keys(&mut *self.conn().await?, business).await?;
        Ok(keys.into_iter().map(|k| k.key).collect())
    }

    async fn touch_api_key(&self, id: ApiKeyId, at: OffsetDateTime) -> Result<()> {
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(to_micros(at))
            .bind(id.to_string())
            .execute(&self.writer)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn list_audit_events(
        &self,
        business: BusinessId,
        filter: &AuditFilter,
        limit: u32,
    ) -> Result<Vec<AuditEvent>> {
        queries::list_audit_events(&mut *self.conn().await?, business, filter, limit).await
    }

    async fn get_audit_chain_head(&self, business: BusinessId) -> Result<ChainHead> {
        self.chain_head(business).await
    }

    async fn list_audit_chain(
        &self,
        business: BusinessId,
        after: Option<(i64, AuditEventId)>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>> {
        let (seq, id) = after.map_or((0, String::new()), |(s, id)| (s, id.to_string()));
        self.chain_events(business, (seq, &id), limit).await
    }

    async fn first_unchained_audit_event(
        &self,
        business: BusinessId,
    ) -> Result<Option<AuditEvent>> {
        self.first_unchained_event(business).await
    }

    async fn walk_audit_chain(
        &self,
        business: BusinessId,
        verifier: &mut gatehouse_domain::audit_chain::ChainVerifier,
    ) -> Result<()> {
        self.walk_chain(business, verifier).await
    }
}
