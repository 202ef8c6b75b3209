//! Temporary access: memberships with an end, for the sweeper and the dashboard.

use async_trait::async_trait;
use gatehouse_domain::Error;
use gatehouse_domain::Result;
use gatehouse_domain::clock::to_micros;
use gatehouse_domain::ids::BusinessId;
use gatehouse_domain::ids::UserId;
use gatehouse_domain::services::temporary::{
    AccessRequest, EndedMembership, MembershipReads, RequestStatus, TemporaryMembership,
};
use gatehouse_domain::types::{Email, GroupName};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use crate::error::db;
use crate::queries::Sql;
use crate::rows;
use crate::store::SqlStore;

/// The columns [`access_request`] reads, over `access_requests r` joined with its user
/// `u` and group `g`.
pub(crate) const REQUEST_SELECT: &str = "SELECT r.id, r.user_id, u.email, r.group_id, g.name, \
     r.duration_secs, r.reason, r.status, r.created_at, r.decided_at, r.decided_by, r.expires_at \
     FROM access_requests r JOIN users u ON u.id = r.user_id \
     JOIN access_groups g ON g.id = r.group_id WHERE r.business_id = ";

pub(crate) fn access_request(r: &AnyRow) -> Result<AccessRequest> {
    Ok(AccessRequest {
        id: rows::id(r, "id")?,
        user_id: rows::id(r, "user_id")?,
        email: rows::parsed(r, "email", Email::parse)?,
        group_id: rows::id(r, "group_id")?,
        group_name: rows::parsed(r, "name", GroupName::parse)?,
        duration_seconds: rows::int(r, "duration_secs")?,
        reason: rows::text(r, "reason")?,
        status: rows::parsed(r, "status", |s| {
            RequestStatus::parse(s).ok_or(Error::AccessRequestNotFound)
        })?,
        created_at: rows::time(r, "created_at")?,
        decided_at: rows::opt_time(r, "decided_at")?,
        decided_by: rows::opt_text(r, "decided_by")?,
        expires_at: rows::opt_time(r, "expires_at")?,
    })
}

#[async_trait]
impl MembershipReads for SqlStore {
    async fn list_access_requests(
        &self,
        business: BusinessId,
        user: Option<UserId>,
    ) -> Result<Vec<AccessRequest>> {
        let mut sql = Sql::new(REQUEST_SELECT);
        sql.text_bind(business.to_string());
        if let Some(u) = user {
            sql.push(" AND r.user_id = ");
            sql.text_bind(u.to_string());
        }
        sql.push(" ORDER BY r.id DESC LIMIT 500");
        let rows = sql
            .query()
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(db)?;
        rows.iter().map(access_request).collect()
    }

    async fn list_ended_memberships(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<EndedMembership>> {
        let rows = sqlx::query(
            "SELECT business_id, group_id, user_id, expires_at FROM group_members \
             WHERE expires_at IS NOT NULL AND expires_at <= $1 ORDER BY expires_at LIMIT $2",
        )
        .bind(to_micros(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(EndedMembership {
                    business: rows::id(r, "business_id")?,
                    group: rows::id(r, "group_id")?,
                    user: rows::id(r, "user_id")?,
                    expires_at: rows::time(r, "expires_at")?,
                })
            })
            .collect()
    }

    async fn list_temporary_memberships(
        &self,
        business: BusinessId,
    ) -> Result<Vec<TemporaryMembership>> {
        let rows = self
            .business_rows(
                "SELECT m.group_id, g.name, m.user_id, u.email, m.expires_at FROM group_members m \
             JOIN access_groups g ON g.id = m.group_id JOIN users u ON u.id = m.user_id \
             WHERE m.business_id = $1 AND m.expires_at IS NOT NULL \
             ORDER BY m.expires_at, u.email, g.name",
                business,
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(TemporaryMembership {
                    group_id: rows::id(r, "group_id")?,
                    group_name: rows::parsed(r, "name", GroupName::parse)?,
                    user_id: rows::id(r, "user_id")?,
                    email: rows::parsed(r, "email", Email::parse)?,
                    expires_at: rows::time(r, "expires_at")?,
                })
            })
            .collect()
    }
}
