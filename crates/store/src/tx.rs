//! [`SqlTx`]: one write transaction. It remembers what it changed in which business and, at
//! commit, records that for the change feed,
//! writes the audit events and bumps those businesses' change sequences before committing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::clock::to_micros;
use gatehouse_domain::ids::{ApiKeyId, BusinessId, GroupId, TenantId, UserId};
use gatehouse_domain::model::{
    ApiKey, Business, Group, SecuritySettings, StoredApiKey, Tenant, User,
};
use gatehouse_domain::store::StoreTx;
use gatehouse_domain::{Error, Result};
use sqlx::{Any, AnyConnection, Transaction};
use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::error::db;
use crate::group_commit::Member;
use crate::queries::Bind;
use crate::{access, queries, rows};

mod advisor;
mod applications;
mod business;
mod groups;
mod keys;
mod memberships;
mod reviews;
mod users;

/// How many change records each business keeps: a node further behind reloads it whole.
const KEEP_CHANGES: i64 = 10_000;
/// Pruning runs on every this-many-th change of a business.
const PRUNE_EVERY: i64 = 1_000;

/// The connection a write transaction writes on: a transaction of its own (PostgreSQL), or
/// its turn in the SQLite writer's group commit ([`crate::group_commit`]).
pub(crate) enum Writer {
    Own(Transaction<'static, Any>),
    Grouped(Member),
}

impl Writer {
    async fn commit(self) -> Result<()> {
        match self {
            Self::Own(tx) => tx.commit().await.map_err(db),
            Self::Grouped(member) => member.commit().await,
        }
    }
}

impl std::ops::Deref for Writer {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match self {
            Self::Own(tx) => tx,
            Self::Grouped(member) => member.conn(),
        }
    }
}

impl std::ops::DerefMut for Writer {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Self::Own(tx) => tx,
            Self::Grouped(member) => member.conn_mut(),
        }
    }
}

pub(crate) struct SqlTx {
    pub(crate) tx: Writer,
    /// What changed, by business: `(kind, entity id)`.
    changes: BTreeMap<BusinessId, BTreeSet<(&'static str, String)>>,
    /// PostgreSQL: row locks where SQLite's single writer needs none, and NOTIFY other nodes
    /// at commit.
    pub(crate) postgres: bool,
    /// Whether the transaction wrote mail, and whom to wake when it commits.
    pub(crate) queued_mail: bool,
    mail_signal: Option<Arc<Notify>>,
    /// Whether the transaction queued back-channel logouts, and whom to wake at commit.
    pub(crate) queued_logouts: bool,
    logout_signal: Option<Arc<Notify>>,
    /// Whether the transaction enqueued webhook deliveries, and whom to wake at commit.
    pub(crate) queued_webhooks: bool,
    webhook_signal: Option<Arc<Notify>>,
}

impl SqlTx {
    pub(crate) fn new(tx: Writer, postgres: bool) -> Self {
        Self {
            tx,
            changes: BTreeMap::new(),
            postgres,
            queued_mail: false,
            mail_signal: None,
            queued_logouts: false,
            logout_signal: None,
            queued_webhooks: false,
            webhook_signal: None,
        }
    }

    /// Wakes `signal` (the back-channel logout sender) when this transaction commits with
    /// logouts queued.
    pub(crate) fn with_logout_signal(mut self, signal: Arc<Notify>) -> Self {
        self.logout_signal = Some(signal);
        self
    }

    /// Wakes `signal` (the webhook sender) when this transaction commits with deliveries
    /// enqueued.
    pub(crate) fn with_webhook_signal(mut self, signal: Arc<Notify>) -> Self {
        self.webhook_signal = Some(signal);
        self
    }

    /// Wakes `signal` (the mail sender) when this transaction commits with mail in it.
    pub(crate) fn with_mail_signal(mut self, signal: Arc<Notify>) -> Self {
        self.mail_signal = Some(signal);
        self
    }

    /// Runs a statement that changes `business`; fails with `not_found` when it hit no row.
    async fn change<'q>(
        &mut self,
        business: BusinessId,
        what: (&'static str, String),
        query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
        not_found: Error,
    ) -> Result<u64> {
        let affected = query
            .execute(&mut *self.tx)
            .await
            .map_err(db)?
            .rows_affected();
        if affected == 0 {
            return Err(not_found);
        }
        self.record(business, what.0, what.1);
        Ok(affected)
    }

    /// Notes that the change touched `kind` `id` of `business`.
    pub(crate) fn record(&mut self, business: BusinessId, kind: &'static str, id: String) {
        self.changes.entry(business).or_default().insert((kind, id));
    }

    async fn current_version(&mut self, table: &str, id: String) -> Result<Option<i64>> {
        let sql = format!("SELECT version FROM {table} WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        row.map(|r| rows::int(&r, "version")).transpose()
    }
}

#[async_trait]
impl StoreTx for SqlTx {
    async fn commit(mut self: Box<Self>, mut events: Vec<AuditEvent>) -> Result<Vec<BusinessId>> {
        if events.is_empty() {
            return Err(Error::Storage(
                "refusing to commit a change without an audit event".to_owned(),
            ));
        }
        crate::chain::link_events(&mut self.tx, &mut events).await?;
        if crate::webhooks::enqueue(&mut self.tx, &events).await? {
            self.queued_webhooks = true;
        }
        queries::insert_audit_events(&mut self.tx, &events).await?;
        for (business, changed) in &self.changes {
            // The feed's cursor column (see `access_source::list_changes_since`).
            let bump = if self.postgres {
                "UPDATE businesses SET change_seq = change_seq + 1, change_tx = pg_current_xact_id() \
                 WHERE id = $1 RETURNING change_seq"
            } else {
                "UPDATE businesses SET change_seq = change_seq + 1, \
                 change_tick = (SELECT MAX(change_tick) FROM businesses) + 1 \
                 WHERE id = $1 RETURNING change_seq"
            };
            let row = sqlx::query(bump)
                .bind(business.to_string())
                .fetch_one(&mut *self.tx)
                .await
                .map_err(db)?;
            let seq = rows::int(&row, "change_seq")?;
            let rows = changed
                .iter()
                .map(|(kind, id)| {
                    vec![
                        Bind::Text(business.to_string()),
                        Bind::Int(seq),
                        Bind::Text((*kind).to_owned()),
                        Bind::Text(id.clone()),
                    ]
                })
                .collect();
            queries::insert_rows(
                &mut self.tx,
                "access_changes (business_id, seq, kind, entity_id)",
                "",
                rows,
            )
            .await?;
            if seq % PRUNE_EVERY == 0 {
                sqlx::query("DELETE FROM access_changes WHERE business_id = $1 AND seq <= $2")
                    .bind(business.to_string())
                    .bind(seq - KEEP_CHANGES)
                    .execute(&mut *self.tx)
                    .await
                    .map_err(db)?;
            }
            if self.postgres {
                // Delivered when (and only if) the transaction commits.
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(crate::notify::CHANNEL)
                    .bind(business.to_string())
                    .execute(&mut *self.tx)
                    .await
                    .map_err(db)?;
            }
        }
        self.tx.commit().await?;
        if self.queued_mail
            && let Some(signal) = &self.mail_signal
        {
            signal.notify_one();
        }
        if self.queued_logouts
            && let Some(signal) = &self.logout_signal
        {
            signal.notify_one();
        }
        if self.queued_webhooks
            && let Some(signal) = &self.webhook_signal
        {
            signal.notify_one();
        }
        Ok(self.changes.into_keys().collect())
    }
}

fn to_json(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Storage(e.to_string()))
}
