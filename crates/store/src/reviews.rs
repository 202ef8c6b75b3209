//! Access reviews: group owners, reviews with their items and reviewers, schedules.

use std::collections::BTreeMap;

use async_trait::async_trait;
use gatehouse_domain::Result;
use gatehouse_domain::clock::to_micros;
use gatehouse_domain::ids::{AccessReviewId, BusinessId, ReviewItemId, UserId};
use gatehouse_domain::services::reviews::store::Membership;
use gatehouse_domain::services::reviews::{
    AccessReview, Decision, GroupOwner, ReviewItem, ReviewReads, ReviewSchedule, ReviewState,
};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use crate::error::db;
use crate::rows;
use crate::store::SqlStore;

/// The columns [`review`] reads, over `access_reviews v`, with the item counts.
pub(crate) const REVIEW_SELECT: &str = "SELECT v.id, v.name, v.scope, v.reviewers, v.schedule_id, \
     v.state, v.due_at, v.started_at, v.started_by, v.closed_at, v.closed_by, \
     (SELECT COUNT(*) FROM access_review_items i WHERE i.review_id = v.id) AS items_total, \
     (SELECT COUNT(*) FROM access_review_items i WHERE i.review_id = v.id \
      AND i.decision IS NOT NULL) AS items_decided FROM access_reviews v ";

/// A JSON column, or a storage error.
pub(crate) fn json<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> Result<T> {
    serde_json::from_str(&rows::text(row, col)?)
        .map_err(|_| gatehouse_domain::Error::Storage(format!("stored {col} does not parse")))
}

fn corrupt(col: &str) -> gatehouse_domain::Error {
    gatehouse_domain::Error::Storage(format!("stored {col} does not parse"))
}

pub(crate) fn review(r: &AnyRow) -> Result<AccessReview> {
    Ok(AccessReview {
        id: rows::id(r, "id")?,
        name: rows::text(r, "name")?,
        scope: json(r, "scope")?,
        reviewers: json(r, "reviewers")?,
        schedule_id: rows::opt_text(r, "schedule_id")?
            .map(|s| s.parse().map_err(|_| corrupt("schedule_id")))
            .transpose()?,
        state: rows::parsed(r, "state", |s| {
            ReviewState::parse(s).ok_or(corrupt("state"))
        })?,
        due_at: rows::time(r, "due_at")?,
        started_at: rows::time(r, "started_at")?,
        started_by: rows::text(r, "started_by")?,
        closed_at: rows::opt_time(r, "closed_at")?,
        closed_by: rows::opt_text(r, "closed_by")?,
        items_total: rows::int(r, "items_total")?,
        items_decided: rows::int(r, "items_decided")?,
    })
}

/// The columns [`item`] reads.
const ITEM_COLS: &str = "id, review_id, group_id, group_name, user_id, email, permissions, \
     expires_at, last_sign_in, decision, comment, decided_by, decided_at";

fn item(r: &AnyRow, reviewers: &BTreeMap<ReviewItemId, Vec<UserId>>) -> Result<ReviewItem> {
    let id: ReviewItemId = rows::id(r, "id")?;
    Ok(ReviewItem {
        id,
        review_id: rows::id(r, "review_id")?,
        group_id: rows::id(r, "group_id")?,
        group_name: rows::text(r, "group_name")?,
        user_id: rows::id(r, "user_id")?,
        email: rows::text(r, "email")?,
        permissions: json(r, "permissions")?,
        expires_at: rows::opt_time(r, "expires_at")?,
        last_sign_in: rows::opt_time(r, "last_sign_in")?,
        reviewer_ids: reviewers.get(&id).cloned().unwrap_or_default(),
        decision: rows::opt_text(r, "decision")?
            .map(|d| Decision::parse(&d).ok_or(corrupt("decision")))
            .transpose()?,
        comment: rows::opt_text(r, "comment")?,
        decided_by: rows::opt_text(r, "decided_by")?,
        decided_at: rows::opt_time(r, "decided_at")?,
    })
}

/// A review's items (only `only` when given), with their reviewers, by group then email.
pub(crate) async fn items_of(
    c: &mut AnyConnection,
    business: BusinessId,
    review: AccessReviewId,
    only: Option<ReviewItemId>,
) -> Result<Vec<ReviewItem>> {
    let mut sql = format!(
        "SELECT {ITEM_COLS} FROM access_review_items WHERE business_id = $1 AND review_id = $2"
    );
    let mut who = "SELECT r.item_id, r.user_id FROM access_review_reviewers r \
                   WHERE r.review_id = $1"
        .to_owned();
    if only.is_some() {
        sql.push_str(" AND id = $3");
        who.push_str(" AND r.item_id = $2");
    }
    sql.push_str(" ORDER BY group_name, email, id");
    let mut q = sqlx::query(&sql)
        .bind(business.to_string())
        .bind(review.to_string());
    let mut w = sqlx::query(&who).bind(review.to_string());
    if let Some(id) = only {
        q = q.bind(id.to_string());
        w = w.bind(id.to_string());
    }
    let items = q.fetch_all(&mut *c).await.map_err(db)?;
    let mut reviewers: BTreeMap<ReviewItemId, Vec<UserId>> = BTreeMap::new();
    for r in w.fetch_all(&mut *c).await.map_err(db)? {
        reviewers
            .entry(rows::id(&r, "item_id")?)
            .or_default()
            .push(rows::id(&r, "user_id")?);
    }
    for ids in reviewers.values_mut() {
        ids.sort();
    }
    items.iter().map(|r| item(r, &reviewers)).collect()
}

pub(crate) fn schedule(r: &AnyRow) -> Result<ReviewSchedule> {
    let days =
        |col: &str| -> Result<u32> { u32::try_from(rows::int(r, col)?).map_err(|_| corrupt(col)) };
    Ok(ReviewSchedule {
        id: rows::id(r, "id")?,
        name: rows::text(r, "name")?,
        scope: json(r, "scope")?,
        reviewers: json(r, "reviewers")?,
        every_days: days("every_days")?,
        review_days: days("review_days")?,
        next_at: rows::time(r, "next_at")?,
        created_at: rows::time(r, "created_at")?,
    })
}

const SCHEDULE_COLS: &str =
    "id, business_id, name, scope, reviewers, every_days, review_days, next_at, created_at";

#[async_trait]
impl ReviewReads for SqlStore {
    async fn list_group_owners(&self, business: BusinessId) -> Result<Vec<GroupOwner>> {
        let rows = self
            .business_rows(
                "SELECT o.group_id, o.user_id, u.email FROM group_owners o \
                 JOIN users u ON u.id = o.user_id WHERE o.business_id = $1 \
                 ORDER BY o.group_id, u.email",
                business,
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(GroupOwner {
                    group_id: rows::id(r, "group_id")?,
                    user_id: rows::id(r, "user_id")?,
                    email: rows::text(r, "email")?,
                })
            })
            .collect()
    }

    async fn list_memberships(&self, business: BusinessId) -> Result<Vec<Membership>> {
        let rows = self
            .business_rows(
                // Through the business's groups: no index leads from `business_id`.
                "SELECT m.group_id, m.user_id, m.expires_at FROM access_groups g \
                 JOIN group_members m ON m.group_id = g.id WHERE g.business_id = $1",
                business,
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    rows::id(r, "group_id")?,
                    rows::id(r, "user_id")?,
                    rows::opt_time(r, "expires_at")?,
                ))
            })
            .collect()
    }

    async fn list_access_reviews(&self, business: BusinessId) -> Result<Vec<AccessReview>> {
        let sql = format!("{REVIEW_SELECT}WHERE v.business_id = $1 ORDER BY v.id DESC LIMIT 500");
        let rows = self.business_rows(&sql, business).await?;
        rows.iter().map(review).collect()
    }

    async fn get_access_review(
        &self,
        business: BusinessId,
        id: AccessReviewId,
    ) -> Result<Option<AccessReview>> {
        let sql = format!("{REVIEW_SELECT}WHERE v.business_id = $1 AND v.id = $2");
        let row = sqlx::query(&sql)
            .bind(business.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(db)?;
        row.as_ref().map(review).transpose()
    }

    async fn list_review_items(
        &self,
        business: BusinessId,
        review: AccessReviewId,
    ) -> Result<Vec<ReviewItem>> {
        let mut c = self.conn().await?;
        items_of(&mut c, business, review, None).await
    }

    async fn list_assigned_items(
        &self,
        business: BusinessId,
        user: UserId,
    ) -> Result<Vec<ReviewItem>> {
        let mut c = self.conn().await?;
        let open = sqlx::query(
            "SELECT DISTINCT r.review_id FROM access_review_reviewers r \
             JOIN access_reviews v ON v.id = r.review_id \
             WHERE v.business_id = $1 AND v.state = 'open' AND r.user_id = $2 ORDER BY r.review_id",
        )
        .bind(business.to_string())
        .bind(user.to_string())
        .fetch_all(&mut *c)
        .await
        .map_err(db)?;
        let mut mine = Vec::new();
        for r in &open {
            let review: AccessReviewId = rows::id(r, "review_id")?;
            let items = items_of(&mut c, business, review, None).await?;
            mine.extend(
                items
                    .into_iter()
                    .filter(|i| i.decision.is_none() && i.reviewer_ids.contains(&user)),
            );
        }
        Ok(mine)
    }

    async fn get_review_report(
        &self,
        business: BusinessId,
        id: AccessReviewId,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT report FROM access_reviews WHERE business_id = $1 AND id = $2 \
             AND state = 'closed'",
        )
        .bind(business.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(db)?;
        Ok(row
            .as_ref()
            .map(|r| rows::opt_text(r, "report"))
            .transpose()?
            .flatten())
    }

    async fn list_open_reviews_due(
        &self,
        before: OffsetDateTime,
    ) -> Result<Vec<(BusinessId, AccessReview)>> {
        let sql = format!(
            "{} WHERE v.state = 'open' AND v.due_at <= $1 ORDER BY v.due_at LIMIT 500",
            REVIEW_SELECT.replace("SELECT v.id,", "SELECT v.business_id, v.id,")
        );
        let rows = sqlx::query(&sql)
            .bind(to_micros(before))
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|r| Ok((rows::id(r, "business_id")?, review(r)?)))
            .collect()
    }

    async fn list_review_schedules(&self, business: BusinessId) -> Result<Vec<ReviewSchedule>> {
        let sql = format!(
            "SELECT {SCHEDULE_COLS} FROM access_review_schedules WHERE business_id = $1 \
             ORDER BY name, id"
        );
        let rows = self.business_rows(&sql, business).await?;
        rows.iter().map(schedule).collect()
    }

    async fn list_due_review_schedules(
        &self,
        now: OffsetDateTime,
    ) -> Result<Vec<(BusinessId, ReviewSchedule)>> {
        let sql = format!(
            "SELECT {SCHEDULE_COLS} FROM access_review_schedules WHERE next_at <= $1 \
             ORDER BY next_at LIMIT 100"
        );
        let rows = sqlx::query(&sql)
            .bind(to_micros(now))
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|r| Ok((rows::id(r, "business_id")?, schedule(r)?)))
            .collect()
    }
}
