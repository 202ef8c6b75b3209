//! The access-health advisor's writes, in a [`SqlTx`]: thresholds, the digest's state, the
//! findings that stand.

use gatehouse_domain::services::advisor::{AdvisorSettings, AdvisorWrites, OpenFinding};

// The transaction's own imports: the types every write here names.
#[allow(clippy::wildcard_imports)]
use super::*;

#[async_trait]
impl AdvisorWrites for SqlTx {
    async fn update_advisor_settings(
        &mut self,
        business: BusinessId,
        s: &AdvisorSettings,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO advisor_settings (business_id, sensitive_share_percent, dormant_days, invitation_days, unused_days) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (business_id) DO UPDATE SET \
             sensitive_share_percent = excluded.sensitive_share_percent, dormant_days = excluded.dormant_days, \
             invitation_days = excluded.invitation_days, unused_days = excluded.unused_days",
        )
        .bind(business.to_string())
        .bind(i64::from(s.sensitive_share_percent))
        .bind(i64::from(s.dormant_days))
        .bind(i64::from(s.invitation_days))
        .bind(i64::from(s.unused_days))
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn set_digest_sent(&mut self, business: BusinessId, at: OffsetDateTime) -> Result<()> {
        sqlx::query(
            "INSERT INTO advisor_digests (business_id, sent_at) VALUES ($1, $2) \
             ON CONFLICT (business_id) DO UPDATE SET sent_at = excluded.sent_at",
        )
        .bind(business.to_string())
        .bind(to_micros(at))
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn set_digest_opt_out(
        &mut self,
        business: BusinessId,
        user: UserId,
        opted_out: bool,
    ) -> Result<()> {
        let sql = if opted_out {
            "INSERT INTO advisor_digest_opt_outs (business_id, user_id) VALUES ($1, $2) \
             ON CONFLICT (business_id, user_id) DO NOTHING"
        } else {
            "DELETE FROM advisor_digest_opt_outs WHERE business_id = $1 AND user_id = $2"
        };
        sqlx::query(sql)
            .bind(business.to_string())
            .bind(user.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn open_finding(&mut self, business: BusinessId, f: &OpenFinding) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO advisor_open_findings (business_id, finding_key, kind, title, opened_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (business_id, finding_key) DO NOTHING",
        )
        .bind(business.to_string())
        .bind(&f.key)
        .bind(&f.kind)
        .bind(&f.title)
        .bind(to_micros(f.opened_at))
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn resolve_finding(&mut self, business: BusinessId, key: &str) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM advisor_open_findings WHERE business_id = $1 AND finding_key = $2",
        )
        .bind(business.to_string())
        .bind(key)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }
}
