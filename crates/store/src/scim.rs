//! SCIM's rows: provisioned accounts' extras, groups' external ids, provisioning settings and
//! the request log; the reads of the `Store` and the writes of a transaction.

use async_trait::async_trait;
use gatehouse_domain::clock::to_micros;
use gatehouse_domain::ids::{BusinessId, GroupId, UserId};
use gatehouse_domain::scim::store::KEEP_REQUESTS;
use gatehouse_domain::scim::{ScimReads, ScimRequest, ScimSettings, ScimUserExtras, ScimWrites};
use gatehouse_domain::types::Email;
use gatehouse_domain::{Error, Result};
use sqlx::any::AnyRow;

use crate::error::db;
use crate::rows;
use crate::store::SqlStore;
use crate::tx::SqlTx;

fn extras(row: &AnyRow) -> Result<ScimUserExtras> {
    let attributes = serde_json::from_str(&rows::text(row, "attributes")?)
        .map_err(|_| Error::Storage("stored SCIM attributes do not parse".into()))?;
    Ok(ScimUserExtras {
        external_id: rows::opt_text(row, "external_id")?,
        attributes,
    })
}

#[async_trait]
impl ScimReads for SqlStore {
    async fn get_scim_user(
        &self,
        business: BusinessId,
        user: UserId,
    ) -> Result<Option<ScimUserExtras>> {
        let row = sqlx::query(
            "SELECT external_id, attributes FROM scim_accounts WHERE business_id = $1 AND user_id = $2",
        )
        .bind(business.to_string())
        .bind(user.to_string())
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(db)?;
        row.as_ref().map(extras).transpose()
    }

    async fn list_scim_users(&self, business: BusinessId) -> Result<Vec<(UserId, ScimUserExtras)>> {
        let rows = sqlx::query(
            "SELECT user_id, external_id, attributes FROM scim_accounts WHERE business_id = $1",
        )
        .bind(business.to_string())
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| Ok((rows::id(r, "user_id")?, extras(r)?)))
            .collect()
    }

    async fn find_scim_users_by_external_id(
        &self,
        business: BusinessId,
        external_id: &str,
    ) -> Result<Vec<UserId>> {
        let rows = sqlx::query(
            "SELECT user_id FROM scim_accounts WHERE business_id = $1 AND external_id = $2 ORDER BY user_id",
        )
        .bind(business.to_string())
        .bind(external_id.to_owned())
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(db)?;
        rows.iter().map(|r| rows::id(r, "user_id")).collect()
    }

    async fn list_scim_groups(&self, business: BusinessId) -> Result<Vec<(GroupId, String)>> {
        let rows = sqlx::query(
            "SELECT group_id, external_id FROM scim_group_links WHERE business_id = $1",
        )
        .bind(business.to_string())
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| Ok((rows::id(r, "group_id")?, rows::text(r, "external_id")?)))
            .collect()
    }

    async fn get_scim_settings(&self, business: BusinessId) -> Result<ScimSettings> {
        let row = sqlx::query("SELECT invite FROM scim_settings WHERE business_id = $1")
            .bind(business.to_string())
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(db)?;
        Ok(match row {
            Some(r) => ScimSettings {
                invite: rows::int(&r, "invite")? != 0,
            },
            None => ScimSettings::default(),
        })
    }

    async fn list_scim_requests(
        &self,
        business: BusinessId,
        limit: u32,
    ) -> Result<Vec<ScimRequest>> {
        let rows = sqlx::query(
            "SELECT at, actor, method, path, status, error FROM scim_requests WHERE business_id = $1 \
             ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(business.to_string())
        .bind(i64::from(limit))
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(ScimRequest {
                    at: rows::time(r, "at")?,
                    actor: rows::text(r, "actor")?,
                    method: rows::text(r, "method")?,
                    path: rows::text(r, "path")?,
                    status: u16::try_from(rows::int(r, "status")?).unwrap_or_default(),
                    error: rows::opt_text(r, "error")?,
                })
            })
            .collect()
    }

    async fn record_scim_request(&self, business: BusinessId, request: &ScimRequest) -> Result<()> {
        let id = gatehouse_domain::ids::AuditEventId::new(request.at);
        sqlx::query(
            "INSERT INTO scim_requests (id, business_id, at, actor, method, path, status, error) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.to_string())
        .bind(business.to_string())
        .bind(to_micros(request.at))
        .bind(request.actor.clone())
        .bind(request.method.clone())
        .bind(request.path.clone())
        .bind(i64::from(request.status))
        .bind(request.error.clone())
        .execute(self.writer())
        .await
        .map_err(db)?;
        // Keep the newest few: the audit log, not this, is the record of changes.
        sqlx::query(
            "DELETE FROM scim_requests WHERE business_id = $1 AND id NOT IN \
             (SELECT id FROM scim_requests WHERE business_id = $1 ORDER BY at DESC, id DESC LIMIT $2)",
        )
        .bind(business.to_string())
        .bind(KEEP_REQUESTS)
        .execute(self.writer())
        .await
        .map_err(db)?;
        Ok(())
    }
}

#[async_trait]
impl ScimWrites for SqlTx {
    async fn put_scim_user(
        &mut self,
        business: BusinessId,
        user: UserId,
        extras: &ScimUserExtras,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO scim_accounts (business_id, user_id, external_id, attributes) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (business_id, user_id) DO UPDATE SET external_id = $3, attributes = $4",
        )
        .bind(business.to_string())
        .bind(user.to_string())
        .bind(extras.external_id.clone())
        .bind(extras.attributes.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn delete_scim_user(&mut self, business: BusinessId, user: UserId) -> Result<()> {
        sqlx::query("DELETE FROM scim_accounts WHERE business_id = $1 AND user_id = $2")
            .bind(business.to_string())
            .bind(user.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn set_user_email(
        &mut self,
        business: BusinessId,
        user: UserId,
        email: &Email,
    ) -> Result<()> {
        let affected =
            sqlx::query("UPDATE users SET email = $1 WHERE business_id = $2 AND id = $3")
                .bind(email.as_str().to_owned())
                .bind(business.to_string())
                .bind(user.to_string())
                .execute(&mut *self.tx)
                .await
                .map_err(db)?
                .rows_affected();
        if affected == 0 {
            return Err(Error::UserNotFound);
        }
        self.record(business, "user", user.to_string());
        Ok(())
    }

    async fn put_scim_group(
        &mut self,
        business: BusinessId,
        group: GroupId,
        external_id: Option<&str>,
    ) -> Result<()> {
        let q = match external_id {
            Some(ext) => sqlx::query(
                "INSERT INTO scim_group_links (business_id, group_id, external_id) VALUES ($1, $2, $3) \
                 ON CONFLICT (business_id, group_id) DO UPDATE SET external_id = $3",
            )
            .bind(business.to_string())
            .bind(group.to_string())
            .bind(ext.to_owned()),
            None => sqlx::query("DELETE FROM scim_group_links WHERE business_id = $1 AND group_id = $2")
                .bind(business.to_string())
                .bind(group.to_string()),
        };
        q.execute(&mut *self.tx).await.map_err(db)?;
        Ok(())
    }

    async fn put_scim_settings(
        &mut self,
        business: BusinessId,
        settings: ScimSettings,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO scim_settings (business_id, invite) VALUES ($1, $2) \
             ON CONFLICT (business_id) DO UPDATE SET invite = $2",
        )
        .bind(business.to_string())
        .bind(i64::from(settings.invite))
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }
}
