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
use sqlx::{Any, Transaction};
use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::error::db;
use crate::{access, queries, rows};

/// How many change records each business keeps: a node further behind reloads it whole.
const KEEP_CHANGES: i64 = 10_000;
/// Pruning runs on every this-many-th change of a business.
const PRUNE_EVERY: i64 = 1_000;

pub(crate) struct SqlTx {
    pub(crate) tx: Transaction<'static, Any>,
    /// What changed, by business: `(kind, entity id)`.
    changes: BTreeMap<BusinessId, BTreeSet<(&'static str, String)>>,
    /// PostgreSQL: NOTIFY other nodes at commit.
    notify: bool,
    /// Whether the transaction wrote mail, and whom to wake when it commits.
    pub(crate) queued_mail: bool,
    mail_signal: Option<Arc<Notify>>,
}

impl SqlTx {
    pub(crate) fn new(tx: Transaction<'static, Any>, notify: bool) -> Self {
        Self {
            tx,
            changes: BTreeMap::new(),
            notify,
            queued_mail: false,
            mail_signal: None,
        }
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
    async fn get_business(&mut self, id: BusinessId) -> Result<Option<Business>> {
        queries::get_business(&mut self.tx, id).await
    }

    async fn get_tenant(&mut self, business: BusinessId, id: TenantId) -> Result<Option<Tenant>> {
        queries::get_tenant(&mut self.tx, business, id).await
    }

    async fn get_user(&mut self, business: BusinessId, id: UserId) -> Result<Option<User>> {
        queries::get_user(&mut self.tx, business, id).await
    }

    async fn get_group(&mut self, business: BusinessId, id: GroupId) -> Result<Option<Group>> {
        queries::get_group(&mut self.tx, business, id).await
    }

    async fn get_api_key(&mut self, business: BusinessId, id: ApiKeyId) -> Result<Option<ApiKey>> {
        Ok(queries::get_api_key(&mut self.tx, Some(business), id)
            .await?
            .map(|k| k.key))
    }

    async fn count_groups_using_tenant(
        &mut self,
        business: BusinessId,
        id: TenantId,
    ) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM group_tenants t JOIN access_groups g ON g.id = t.group_id \
             WHERE g.business_id = $1 AND t.tenant_id = $2",
        )
        .bind(business.to_string())
        .bind(id.to_string())
        .fetch_one(&mut *self.tx)
        .await
        .map_err(db)?;
        rows::int(&row, "n")
    }

    async fn insert_business(&mut self, b: &Business) -> Result<()> {
        // New businesses start with the default MFA policy, in force from their creation.
        let q = sqlx::query(
            "INSERT INTO businesses (id, slug, name, change_seq, created_at, updated_at, mfa_policy, mfa_grace_days, \
             mfa_policy_changed_at) VALUES ($1, $2, $3, 0, $4, $5, 'live_access', 0, $4)",
        )
        .bind(b.id.to_string())
        .bind(b.slug.as_str())
        .bind(b.name.as_str())
        .bind(to_micros(b.created_at))
        .bind(to_micros(b.updated_at));
        self.change(
            b.id,
            ("business_created", b.id.to_string()),
            q,
            Error::BusinessNotFound,
        )
        .await
        .map(drop)
    }

    async fn update_business(&mut self, b: &Business) -> Result<()> {
        let q = sqlx::query("UPDATE businesses SET name = $1, updated_at = $2 WHERE id = $3")
            .bind(b.name.as_str())
            .bind(to_micros(b.updated_at))
            .bind(b.id.to_string());
        self.change(
            b.id,
            ("business", b.id.to_string()),
            q,
            Error::BusinessNotFound,
        )
        .await
        .map(drop)
    }

    async fn get_security_settings(
        &mut self,
        business: BusinessId,
    ) -> Result<Option<SecuritySettings>> {
        Ok(access::get_settings(&mut self.tx, business)
            .await?
            .map(|(_, s)| s))
    }

    async fn update_security_settings(
        &mut self,
        business: BusinessId,
        s: &SecuritySettings,
    ) -> Result<()> {
        let q = sqlx::query("UPDATE businesses SET mfa_policy = $1, mfa_grace_days = $2, mfa_policy_changed_at = $3 WHERE id = $4")
            .bind(s.mfa_policy.as_str())
            .bind(i64::from(s.mfa_grace_days))
            .bind(to_micros(s.mfa_policy_changed_at))
            .bind(business.to_string());
        self.change(
            business,
            ("settings", business.to_string()),
            q,
            Error::BusinessNotFound,
        )
        .await
        .map(drop)
    }

    async fn insert_tenant(&mut self, t: &Tenant) -> Result<()> {
        let q = sqlx::query("INSERT INTO tenants (id, business_id, slug, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(t.id.to_string())
            .bind(t.business_id.to_string())
            .bind(t.slug.as_str())
            .bind(t.name.as_str())
            .bind(to_micros(t.created_at))
            .bind(to_micros(t.updated_at));
        self.change(
            t.business_id,
            ("tenant", t.id.to_string()),
            q,
            Error::TenantNotFound,
        )
        .await
        .map(drop)
    }

    async fn update_tenant(&mut self, t: &Tenant) -> Result<()> {
        let q = sqlx::query(
            "UPDATE tenants SET name = $1, updated_at = $2 WHERE business_id = $3 AND id = $4",
        )
        .bind(t.name.as_str())
        .bind(to_micros(t.updated_at))
        .bind(t.business_id.to_string())
        .bind(t.id.to_string());
        self.change(
            t.business_id,
            ("business", t.id.to_string()),
            q,
            Error::TenantNotFound,
        )
        .await
        .map(drop)
    }

    async fn delete_tenant(&mut self, business: BusinessId, id: TenantId) -> Result<()> {
        let q = sqlx::query("DELETE FROM tenants WHERE business_id = $1 AND id = $2")
            .bind(business.to_string())
            .bind(id.to_string());
        self.change(
            business,
            ("tenant", id.to_string()),
            q,
            Error::TenantNotFound,
        )
        .await
        .map(drop)
    }

    async fn insert_user(&mut self, u: &User) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO users (id, business_id, email, display_name, name_key, status, mfa_enrolled, activated_at, \
             version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(u.id.to_string())
        .bind(u.business_id.to_string())
        .bind(u.email.as_str())
        .bind(u.display_name.as_str())
        .bind(u.display_name.as_str().to_lowercase())
        .bind(u.status.as_str())
        .bind(i64::from(u.mfa_enrolled))
        .bind(u.activated_at.map(to_micros))
        .bind(u.version)
        .bind(to_micros(u.created_at))
        .bind(to_micros(u.updated_at));
        self.change(
            u.business_id,
            ("user", u.id.to_string()),
            q,
            Error::UserNotFound,
        )
        .await
        .map(drop)
    }

    async fn update_user(&mut self, u: &User, expected_version: i64) -> Result<()> {
        let q = sqlx::query(
            "UPDATE users SET display_name = $1, name_key = $2, status = $3, mfa_enrolled = $4, activated_at = $5, \
             version = $6, updated_at = $7 WHERE business_id = $8 AND id = $9 AND version = $10",
        )
        .bind(u.display_name.as_str())
        .bind(u.display_name.as_str().to_lowercase())
        .bind(u.status.as_str())
        .bind(i64::from(u.mfa_enrolled))
        .bind(u.activated_at.map(to_micros))
        .bind(u.version)
        .bind(to_micros(u.updated_at))
        .bind(u.business_id.to_string())
        .bind(u.id.to_string())
        .bind(expected_version);
        let affected = q.execute(&mut *self.tx).await.map_err(db)?.rows_affected();
        if affected == 0 {
            return Err(
                match self.current_version("users", u.id.to_string()).await? {
                    Some(current) => Error::VersionConflict { current },
                    None => Error::UserNotFound,
                },
            );
        }
        self.record(u.business_id, "user", u.id.to_string());
        Ok(())
    }

    async fn set_user_groups(
        &mut self,
        business: BusinessId,
        user: UserId,
        groups: &[GroupId],
        at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query("DELETE FROM group_members WHERE business_id = $1 AND user_id = $2")
            .bind(business.to_string())
            .bind(user.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        for group in groups {
            sqlx::query("INSERT INTO group_members (group_id, user_id, business_id, created_at) VALUES ($1, $2, $3, $4)")
                .bind(group.to_string())
                .bind(user.to_string())
                .bind(business.to_string())
                .bind(to_micros(at))
                .execute(&mut *self.tx)
                .await
                .map_err(db)?;
        }
        self.record(business, "user", user.to_string());
        Ok(())
    }

    async fn insert_group(&mut self, g: &Group) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO access_groups (id, business_id, name, name_key, description, kind, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(g.id.to_string())
        .bind(g.business_id.to_string())
        .bind(g.name.as_str())
        .bind(g.name.key())
        .bind(g.description.as_str())
        .bind(g.scope.kind().as_str())
        .bind(g.version)
        .bind(to_micros(g.created_at))
        .bind(to_micros(g.updated_at));
        self.change(
            g.business_id,
            ("group", g.id.to_string()),
            q,
            Error::GroupNotFound,
        )
        .await?;
        queries::write_group_details(&mut self.tx, g).await
    }

    async fn update_group(&mut self, g: &Group, expected_version: i64) -> Result<()> {
        let q = sqlx::query(
            "UPDATE access_groups SET name = $1, name_key = $2, description = $3, kind = $4, version = $5, updated_at = $6 \
             WHERE business_id = $7 AND id = $8 AND version = $9",
        )
        .bind(g.name.as_str())
        .bind(g.name.key())
        .bind(g.description.as_str())
        .bind(g.scope.kind().as_str())
        .bind(g.version)
        .bind(to_micros(g.updated_at))
        .bind(g.business_id.to_string())
        .bind(g.id.to_string())
        .bind(expected_version);
        let affected = q.execute(&mut *self.tx).await.map_err(db)?.rows_affected();
        if affected == 0 {
            return Err(
                match self
                    .current_version("access_groups", g.id.to_string())
                    .await?
                {
                    Some(current) => Error::VersionConflict { current },
                    None => Error::GroupNotFound,
                },
            );
        }
        self.record(g.business_id, "group", g.id.to_string());
        queries::write_group_details(&mut self.tx, g).await
    }

    async fn delete_group(&mut self, business: BusinessId, id: GroupId) -> Result<()> {
        // Its members lose its rights: the feed reloads them.
        let members = sqlx::query(
            "SELECT user_id FROM group_members WHERE business_id = $1 AND group_id = $2",
        )
        .bind(business.to_string())
        .bind(id.to_string())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        for row in &members {
            self.record(business, "user", rows::text(row, "user_id")?);
        }
        // Memberships, tenant sets and grants go with it (ON DELETE CASCADE), but say so
        // explicitly: SQLite only cascades with foreign keys on.
        for table in ["group_members", "group_tenants", "group_permissions"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE group_id = $1"))
                .bind(id.to_string())
                .execute(&mut *self.tx)
                .await
                .map_err(db)?;
        }
        let q = sqlx::query("DELETE FROM access_groups WHERE business_id = $1 AND id = $2")
            .bind(business.to_string())
            .bind(id.to_string());
        self.change(business, ("group", id.to_string()), q, Error::GroupNotFound)
            .await
            .map(drop)
    }

    async fn add_group_members(
        &mut self,
        business: BusinessId,
        group: GroupId,
        users: &[UserId],
        at: OffsetDateTime,
    ) -> Result<u64> {
        let mut added = 0;
        for user in users {
            added += sqlx::query(
                "INSERT INTO group_members (group_id, user_id, business_id, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (group_id, user_id) DO NOTHING",
            )
            .bind(group.to_string())
            .bind(user.to_string())
            .bind(business.to_string())
            .bind(to_micros(at))
            .execute(&mut *self.tx)
            .await
            .map_err(db)?
            .rows_affected();
        }
        for user in users {
            self.record(business, "user", user.to_string());
        }
        Ok(added)
    }

    async fn remove_group_member(
        &mut self,
        business: BusinessId,
        group: GroupId,
        user: UserId,
    ) -> Result<bool> {
        let removed = sqlx::query(
            "DELETE FROM group_members WHERE business_id = $1 AND group_id = $2 AND user_id = $3",
        )
        .bind(business.to_string())
        .bind(group.to_string())
        .bind(user.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(db)?
        .rows_affected();
        self.record(business, "user", user.to_string());
        Ok(removed > 0)
    }

    async fn insert_api_key(&mut self, k: &StoredApiKey) -> Result<()> {
        let key = &k.key;
        let q = sqlx::query(
            "INSERT INTO api_keys (id, business_id, name, secret_hash, grants, created_by, created_at, expires_at, last_used_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL)",
        )
        .bind(key.id.to_string())
        .bind(key.business_id.to_string())
        .bind(key.name.as_str())
        .bind(rows::hex(&k.secret_hash))
        .bind(to_json(&key.grants)?)
        .bind(to_json(&key.created_by)?)
        .bind(to_micros(key.created_at))
        .bind(key.expires_at.map(to_micros));
        self.change(
            key.business_id,
            ("api_key", key.id.to_string()),
            q,
            Error::ApiKeyNotFound,
        )
        .await
        .map(drop)
    }

    async fn revoke_api_key(
        &mut self,
        business: BusinessId,
        id: ApiKeyId,
        at: OffsetDateTime,
    ) -> Result<()> {
        let q = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE business_id = $2 AND id = $3 AND revoked_at IS NULL")
            .bind(to_micros(at))
            .bind(business.to_string())
            .bind(id.to_string());
        self.change(
            business,
            ("api_key", id.to_string()),
            q,
            Error::ApiKeyNotFound,
        )
        .await
        .map(drop)
    }

    async fn commit(mut self: Box<Self>, events: Vec<AuditEvent>) -> Result<Vec<BusinessId>> {
        if events.is_empty() {
            return Err(Error::Storage(
                "refusing to commit a change without an audit event".to_owned(),
            ));
        }
        for event in &events {
            queries::insert_audit_event(&mut self.tx, event).await?;
        }
        for (business, changed) in &self.changes {
            let row = sqlx::query("UPDATE businesses SET change_seq = change_seq + 1 WHERE id = $1 RETURNING change_seq")
                .bind(business.to_string())
                .fetch_one(&mut *self.tx)
                .await
                .map_err(db)?;
            let seq = rows::int(&row, "change_seq")?;
            for (kind, id) in changed {
                sqlx::query("INSERT INTO access_changes (business_id, seq, kind, entity_id) VALUES ($1, $2, $3, $4)")
                    .bind(business.to_string())
                    .bind(seq)
                    .bind(*kind)
                    .bind(id.as_str())
                    .execute(&mut *self.tx)
                    .await
                    .map_err(db)?;
            }
            if seq % PRUNE_EVERY == 0 {
                sqlx::query("DELETE FROM access_changes WHERE business_id = $1 AND seq <= $2")
                    .bind(business.to_string())
                    .bind(seq - KEEP_CHANGES)
                    .execute(&mut *self.tx)
                    .await
                    .map_err(db)?;
            }
            if self.notify {
                // Delivered when (and only if) the transaction commits.
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(crate::notify::CHANNEL)
                    .bind(business.to_string())
                    .execute(&mut *self.tx)
                    .await
                    .map_err(db)?;
            }
        }
        self.tx.commit().await.map_err(db)?;
        if self.queued_mail
            && let Some(signal) = &self.mail_signal
        {
            signal.notify_one();
        }
        Ok(self.changes.into_keys().collect())
    }
}

fn to_json(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Storage(e.to_string()))
}
