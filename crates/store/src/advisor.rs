//! The access-health advisor's reads: users with their last sign-in (from the audit trail),
//! applications with their last use, the thresholds, the daily scores, the digest's state.

use async_trait::async_trait;
use gatehouse_domain::clock::to_micros;
use gatehouse_domain::ids::{BusinessId, UserId};
use gatehouse_domain::model::UserStatus;
use gatehouse_domain::services::advisor::{
    AdvisorReads, AdvisorSettings, ApplicationFact, DailyScore, OpenFinding, UserFact,
};
use gatehouse_domain::types::Email;
use gatehouse_domain::{Error, Result};
use sqlx::any::AnyRow;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use crate::error::db;
use crate::rows;
use crate::store::SqlStore;

fn day_text(day: Date) -> String {
    day.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

fn count(row: &AnyRow, col: &str) -> Result<u32> {
    u32::try_from(rows::int(row, col)?)
        .map_err(|_| Error::Storage(format!("stored {col} is out of range")))
}

/// The business ids (`id`) a query reads.
async fn business_ids<'q>(
    store: &SqlStore,
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
) -> Result<Vec<BusinessId>> {
    let rows = q.fetch_all(&mut *store.conn().await?).await.map_err(db)?;
    rows.iter().map(|r| rows::id(r, "id")).collect()
}

#[async_trait]
impl AdvisorReads for SqlStore {
    async fn list_user_facts(&self, business: BusinessId) -> Result<Vec<UserFact>> {
        let rows = self
            .business_rows(
                "SELECT u.id, u.email, u.status, u.mfa_enrolled, u.created_at, u.activated_at, \
             (SELECT MAX(a.occurred_at) FROM audit_events a WHERE a.business_id = u.business_id \
              AND a.target_id = u.id AND a.action = 'auth.signed_in') AS last_sign_in, \
             (SELECT MIN(t.created_at) FROM auth_tokens t WHERE t.user_id = u.id AND t.kind = 'invitation' \
              AND t.used_at IS NULL AND t.revoked_at IS NULL) AS invited_at \
             FROM users u WHERE u.business_id = $1 ORDER BY u.email",
                business,
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(UserFact {
                    id: rows::id(r, "id")?,
                    email: rows::parsed(r, "email", Email::parse)?,
                    status: rows::parsed(r, "status", |s| {
                        UserStatus::parse(s).ok_or(Error::UserNotFound)
                    })?,
                    mfa_enrolled: rows::int(r, "mfa_enrolled")? != 0,
                    created_at: rows::time(r, "created_at")?,
                    activated_at: rows::opt_time(r, "activated_at")?,
                    last_sign_in: rows::opt_time(r, "last_sign_in")?,
                    invited_at: rows::opt_time(r, "invited_at")?,
                })
            })
            .collect()
    }

    async fn list_application_facts(&self, business: BusinessId) -> Result<Vec<ApplicationFact>> {
        let rows = self
            .business_rows(
                "SELECT a.id, a.name, a.created_at, \
             (SELECT MAX(g.created_at) FROM oauth_grants g WHERE g.application_id = a.id) AS last_grant, \
             k.last_used_at AS key_used \
             FROM applications a LEFT JOIN api_keys k ON k.id = a.service_key_id \
             WHERE a.business_id = $1 ORDER BY a.name",
                business,
            )
            .await?;
        rows.iter()
            .map(|r| {
                let used = [
                    rows::opt_time(r, "last_grant")?,
                    rows::opt_time(r, "key_used")?,
                ];
                Ok(ApplicationFact {
                    id: rows::id(r, "id")?,
                    name: rows::text(r, "name")?,
                    created_at: rows::time(r, "created_at")?,
                    last_used: used.into_iter().flatten().max(),
                })
            })
            .collect()
    }

    async fn get_advisor_settings(&self, business: BusinessId) -> Result<AdvisorSettings> {
        let row = sqlx::query(
            "SELECT sensitive_share_percent, dormant_days, invitation_days, unused_days \
             FROM advisor_settings WHERE business_id = $1",
        )
        .bind(business.to_string())
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(db)?;
        let Some(r) = row else {
            return Ok(AdvisorSettings::default());
        };
        Ok(AdvisorSettings {
            sensitive_share_percent: count(&r, "sensitive_share_percent")?,
            dormant_days: count(&r, "dormant_days")?,
            invitation_days: count(&r, "invitation_days")?,
            unused_days: count(&r, "unused_days")?,
        })
    }

    async fn list_daily_scores(&self, business: BusinessId, limit: u32) -> Result<Vec<DailyScore>> {
        let rows = sqlx::query(
            "SELECT day, score, findings FROM advisor_scores WHERE business_id = $1 \
             ORDER BY day DESC LIMIT $2",
        )
        .bind(business.to_string())
        .bind(i64::from(limit))
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(DailyScore {
                    day: rows::parsed(r, "day", |s| {
                        Date::parse(s, format_description!("[year]-[month]-[day]"))
                            .map_err(|_| Error::Storage("stored day does not parse".into()))
                    })?,
                    score: count(r, "score")?,
                    findings: count(r, "findings")?,
                })
            })
            .collect()
    }

    async fn upsert_daily_score(&self, business: BusinessId, score: &DailyScore) -> Result<()> {
        sqlx::query(
            "INSERT INTO advisor_scores (business_id, day, score, findings) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (business_id, day) DO UPDATE SET score = excluded.score, findings = excluded.findings",
        )
        .bind(business.to_string())
        .bind(day_text(score.day))
        .bind(i64::from(score.score))
        .bind(i64::from(score.findings))
        .execute(self.writer())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn list_businesses_without_score(&self, day: Date) -> Result<Vec<BusinessId>> {
        let q = sqlx::query(
            "SELECT b.id FROM businesses b WHERE NOT EXISTS \
             (SELECT 1 FROM advisor_scores s WHERE s.business_id = b.id AND s.day = $1) ORDER BY b.id",
        );
        business_ids(self, q.bind(day_text(day))).await
    }

    async fn list_businesses_due_digest(&self, before: OffsetDateTime) -> Result<Vec<BusinessId>> {
        // A new business waits a week for its first digest too.
        let q = sqlx::query(
            "SELECT b.id FROM businesses b LEFT JOIN advisor_digests d ON d.business_id = b.id \
             WHERE COALESCE(d.sent_at, b.created_at) < $1 ORDER BY b.id",
        );
        business_ids(self, q.bind(to_micros(before))).await
    }

    async fn list_digest_opt_outs(&self, business: BusinessId) -> Result<Vec<UserId>> {
        let rows = self
            .business_rows(
                "SELECT user_id FROM advisor_digest_opt_outs WHERE business_id = $1",
                business,
            )
            .await?;
        rows.iter().map(|r| rows::id(r, "user_id")).collect()
    }

    async fn list_open_findings(&self, business: BusinessId) -> Result<Vec<OpenFinding>> {
        let rows = self
            .business_rows(
                "SELECT finding_key, kind, title, opened_at FROM advisor_open_findings \
                 WHERE business_id = $1 ORDER BY finding_key",
                business,
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(OpenFinding {
                    key: rows::text(r, "finding_key")?,
                    kind: rows::text(r, "kind")?,
                    title: rows::text(r, "title")?,
                    opened_at: rows::time(r, "opened_at")?,
                })
            })
            .collect()
    }
}
