//! Access reviews in a [`SqlTx`]: group owners, a review and its items, decisions, closing,
//! notices, schedules.

use gatehouse_domain::ids::{AccessReviewId, ReviewItemId, ReviewScheduleId};
use gatehouse_domain::services::reviews::{AccessReview, ReviewItem, ReviewSchedule, ReviewWrites};

use crate::reviews::{REVIEW_SELECT, items_of, review};

// The transaction's own imports: the types every write here names.
#[allow(clippy::wildcard_imports)]
use super::*;

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Storage(format!("json: {e}")))
}

#[async_trait]
impl ReviewWrites for SqlTx {
    async fn insert_group_owner(
        &mut self,
        business: BusinessId,
        group: GroupId,
        user: UserId,
        at: OffsetDateTime,
    ) -> Result<bool> {
        let q = sqlx::query(
            "INSERT INTO group_owners (group_id, user_id, business_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (group_id, user_id) DO NOTHING",
        )
        .bind(group.to_string())
        .bind(user.to_string())
        .bind(business.to_string())
        .bind(to_micros(at));
        let added = self.exec(q).await?;
        Ok(added > 0)
    }

    async fn delete_group_owner(
        &mut self,
        business: BusinessId,
        group: GroupId,
        user: UserId,
    ) -> Result<bool> {
        let q = sqlx::query(
            "DELETE FROM group_owners WHERE business_id = $1 AND group_id = $2 AND user_id = $3",
        )
        .bind(business.to_string())
        .bind(group.to_string())
        .bind(user.to_string());
        let removed = self.exec(q).await?;
        Ok(removed > 0)
    }

    async fn insert_access_review(
        &mut self,
        business: BusinessId,
        r: &AccessReview,
        items: &[ReviewItem],
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO access_reviews (id, business_id, name, scope, reviewers, schedule_id, \
             state, due_at, started_at, started_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(r.id.to_string())
        .bind(business.to_string())
        .bind(r.name.clone())
        .bind(to_json(&r.scope)?)
        .bind(to_json(&r.reviewers)?)
        .bind(r.schedule_id.map(|s| s.to_string()))
        .bind(r.state.as_str())
        .bind(to_micros(r.due_at))
        .bind(to_micros(r.started_at))
        .bind(r.started_by.clone())
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        let mut rows = Vec::with_capacity(items.len());
        let mut reviewers = Vec::new();
        for i in items {
            rows.push(vec![
                Bind::Text(i.id.to_string()),
                Bind::Text(r.id.to_string()),
                Bind::Text(business.to_string()),
                Bind::Text(i.group_id.to_string()),
                Bind::Text(i.group_name.clone()),
                Bind::Text(i.user_id.to_string()),
                Bind::Text(i.email.clone()),
                Bind::Text(to_json(&i.permissions)?),
                Bind::OptInt(i.expires_at.map(to_micros)),
                Bind::OptInt(i.last_sign_in.map(to_micros)),
            ]);
            for u in &i.reviewer_ids {
                reviewers.push(vec![
                    Bind::Text(i.id.to_string()),
                    Bind::Text(r.id.to_string()),
                    Bind::Text(u.to_string()),
                ]);
            }
        }
        queries::insert_rows(
            &mut self.tx,
            "access_review_items (id, review_id, business_id, group_id, group_name, user_id, \
             email, permissions, expires_at, last_sign_in)",
            "",
            rows,
        )
        .await?;
        queries::insert_rows(
            &mut self.tx,
            "access_review_reviewers (item_id, review_id, user_id)",
            "",
            reviewers,
        )
        .await?;
        Ok(())
    }

    async fn lock_access_review(
        &mut self,
        business: BusinessId,
        id: AccessReviewId,
        exclusive: bool,
    ) -> Result<Option<AccessReview>> {
        if self.postgres {
            let lock = if exclusive { "FOR UPDATE" } else { "FOR SHARE" };
            let sql =
                format!("SELECT id FROM access_reviews WHERE business_id = $1 AND id = $2 {lock}");
            sqlx::query(&sql)
                .bind(business.to_string())
                .bind(id.to_string())
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(db)?;
        }
        let sql = format!("{REVIEW_SELECT}WHERE v.business_id = $1 AND v.id = $2");
        let row = sqlx::query(&sql)
            .bind(business.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        row.as_ref().map(review).transpose()
    }

    async fn get_review_item(
        &mut self,
        business: BusinessId,
        review: AccessReviewId,
        id: ReviewItemId,
    ) -> Result<Option<ReviewItem>> {
        let items = items_of(&mut self.tx, business, review, Some(id)).await?;
        Ok(items.into_iter().next())
    }

    async fn decide_review_item(&mut self, business: BusinessId, i: &ReviewItem) -> Result<bool> {
        let q = sqlx::query(
            "UPDATE access_review_items SET decision = $1, comment = $2, decided_by = $3, \
             decided_at = $4 WHERE business_id = $5 AND id = $6 AND decision IS NULL",
        )
        .bind(i.decision.map(|d| d.as_str().to_owned()))
        .bind(i.comment.clone())
        .bind(i.decided_by.clone())
        .bind(i.decided_at.map(to_micros))
        .bind(business.to_string())
        .bind(i.id.to_string());
        let done = self.exec(q).await?;
        Ok(done > 0)
    }

    async fn list_items_for_close(
        &mut self,
        business: BusinessId,
        review: AccessReviewId,
    ) -> Result<Vec<ReviewItem>> {
        items_of(&mut self.tx, business, review, None).await
    }

    async fn close_access_review(
        &mut self,
        business: BusinessId,
        r: &AccessReview,
        report: &str,
    ) -> Result<bool> {
        let q = sqlx::query(
            "UPDATE access_reviews SET state = 'closed', closed_at = $1, closed_by = $2, \
             report = $3 WHERE business_id = $4 AND id = $5 AND state = 'open'",
        )
        .bind(r.closed_at.map(to_micros))
        .bind(r.closed_by.clone())
        .bind(report.to_owned())
        .bind(business.to_string())
        .bind(r.id.to_string());
        let done = self.exec(q).await?;
        Ok(done > 0)
    }

    async fn insert_review_notice(
        &mut self,
        review: AccessReviewId,
        user: UserId,
        stage: &str,
        at: OffsetDateTime,
    ) -> Result<bool> {
        let q = sqlx::query(
            "INSERT INTO access_review_notices (review_id, user_id, stage, sent_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (review_id, user_id, stage) DO NOTHING",
        )
        .bind(review.to_string())
        .bind(user.to_string())
        .bind(stage.to_owned())
        .bind(to_micros(at));
        let added = self.exec(q).await?;
        Ok(added > 0)
    }

    async fn insert_review_schedule(
        &mut self,
        business: BusinessId,
        s: &ReviewSchedule,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO access_review_schedules (id, business_id, name, scope, reviewers, \
             every_days, review_days, next_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(s.id.to_string())
        .bind(business.to_string())
        .bind(s.name.clone())
        .bind(to_json(&s.scope)?)
        .bind(to_json(&s.reviewers)?)
        .bind(i64::from(s.every_days))
        .bind(i64::from(s.review_days))
        .bind(to_micros(s.next_at))
        .bind(to_micros(s.created_at))
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn delete_review_schedule(
        &mut self,
        business: BusinessId,
        id: ReviewScheduleId,
    ) -> Result<bool> {
        let q =
            sqlx::query("DELETE FROM access_review_schedules WHERE business_id = $1 AND id = $2")
                .bind(business.to_string())
                .bind(id.to_string());
        let removed = self.exec(q).await?;
        Ok(removed > 0)
    }

    async fn advance_review_schedule(
        &mut self,
        business: BusinessId,
        id: ReviewScheduleId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<bool> {
        let q = sqlx::query(
            "UPDATE access_review_schedules SET next_at = $1 \
             WHERE business_id = $2 AND id = $3 AND next_at = $4",
        )
        .bind(to_micros(to))
        .bind(business.to_string())
        .bind(id.to_string())
        .bind(to_micros(from));
        let moved = self.exec(q).await?;
        Ok(moved > 0)
    }
}
