//! Temporary access in a [`SqlTx`]: the sweeper's removal of a membership that ended.

use gatehouse_domain::ids::AccessRequestId;
use gatehouse_domain::services::temporary::{AccessRequest, EndedMembership, MembershipWrites};

use crate::memberships::{REQUEST_SELECT, access_request};

// The transaction's own imports: the types every write here names.
#[allow(clippy::wildcard_imports)]
use super::*;

#[async_trait]
impl MembershipWrites for SqlTx {
    async fn delete_ended_membership(&mut self, m: &EndedMembership) -> Result<bool> {
        let removed = sqlx::query(
            "DELETE FROM group_members WHERE business_id = $1 AND group_id = $2 AND user_id = $3 \
             AND expires_at = $4",
        )
        .bind(m.business.to_string())
        .bind(m.group.to_string())
        .bind(m.user.to_string())
        .bind(to_micros(m.expires_at))
        .execute(&mut *self.tx)
        .await
        .map_err(db)?
        .rows_affected();
        self.record(m.business, "user", m.user.to_string());
        Ok(removed > 0)
    }

    async fn insert_access_request(
        &mut self,
        business: BusinessId,
        r: &AccessRequest,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO access_requests (id, business_id, user_id, group_id, duration_secs, reason, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(r.id.to_string())
        .bind(business.to_string())
        .bind(r.user_id.to_string())
        .bind(r.group_id.to_string())
        .bind(r.duration_seconds)
        .bind(r.reason.clone())
        .bind(r.status.as_str())
        .bind(to_micros(r.created_at))
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn get_access_request(
        &mut self,
        business: BusinessId,
        id: AccessRequestId,
    ) -> Result<Option<AccessRequest>> {
        let sql = format!("{REQUEST_SELECT}$1 AND r.id = $2");
        let row = sqlx::query(&sql)
            .bind(business.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        row.as_ref().map(access_request).transpose()
    }

    async fn decide_access_request(
        &mut self,
        business: BusinessId,
        r: &AccessRequest,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE access_requests SET status = $1, decided_at = $2, decided_by = $3, expires_at = $4 \
             WHERE business_id = $5 AND id = $6 AND status = 'pending'",
        )
        .bind(r.status.as_str())
        .bind(r.decided_at.map(to_micros))
        .bind(r.decided_by.clone())
        .bind(r.expires_at.map(to_micros))
        .bind(business.to_string())
        .bind(r.id.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(db)?
        .rows_affected();
        Ok(done > 0)
    }
}
