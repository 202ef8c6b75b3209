//! Recurring reviews: a schedule starts the same review every N days (quarterly: 91), each
//! due some days after its start. The housekeeping loop starts what is due by the Clock;
//! moving the schedule on happens in the start's transaction, guarded by the old next
//! start, so two nodes never start the same occurrence. A start that fails (nobody may
//! review some members) is audited and the schedule moves on.

use serde::Serialize;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::start::check_definition;
use super::{NewReview, ReviewScope, Reviewers, check_name};
use crate::audit::RequestContext;
use crate::error::{Error, Result};
use crate::ids::{BusinessId, ReviewScheduleId};
use crate::model::UserStatus;
use crate::principal::{Actor, AuditView, BusinessAccess, ReviewsManage};
use crate::services::{Audit, Gatehouse};

/// Bounds of a schedule: every 7 to 366 days; each review due 1 day to the period after it
/// starts.
pub const MIN_EVERY_DAYS: u32 = 7;
pub const MAX_EVERY_DAYS: u32 = 366;

/// A recurring review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReviewSchedule {
    pub id: ReviewScheduleId,
    pub name: String,
    pub scope: ReviewScope,
    pub reviewers: Reviewers,
    pub every_days: u32,
    /// Each review is due this many days after it starts.
    pub review_days: u32,
    /// When the next review starts.
    #[serde(with = "time::serde::rfc3339")]
    pub next_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A schedule to create.
#[derive(Debug, Clone)]
pub struct NewSchedule {
    pub name: String,
    pub scope: ReviewScope,
    pub reviewers: Reviewers,
    pub every_days: u32,
    pub review_days: u32,
    /// The first start; now when absent.
    pub first_at: Option<OffsetDateTime>,
}

fn schedule_target(s: &ReviewSchedule) -> (&'static str, String, String) {
    ("review_schedule", s.id.to_string(), s.name.clone())
}

impl Gatehouse {
    /// Creates a schedule. Requires `reviews.manage`.
    pub async fn create_review_schedule(
        &self,
        access: &BusinessAccess<ReviewsManage>,
        ctx: &RequestContext,
        new: &NewSchedule,
    ) -> Result<ReviewSchedule> {
        let now = self.now();
        let business = access.business_id();
        let name = check_name(&new.name)?;
        check_definition(&new.scope, &new.reviewers)?;
        let first = new.first_at.unwrap_or(now);
        if !(MIN_EVERY_DAYS..=MAX_EVERY_DAYS).contains(&new.every_days)
            || new.review_days == 0
            || new.review_days > new.every_days
            || first < now - Duration::minutes(1)
            || first > now + Duration::days(366)
        {
            return Err(Error::invalid(
                "invalid_schedule",
                "every_days",
                "every 7 to 366 days, each review due 1 day to the period later, first start within a year",
            ));
        }
        let mut tx = self.store().begin().await?;
        if let ReviewScope::Groups { group_ids } = &new.scope {
            for g in group_ids {
                tx.get_group(business, *g)
                    .await?
                    .ok_or(Error::GroupNotFound)?;
            }
        }
        for u in &new.reviewers.user_ids {
            let user = tx.get_user(business, *u).await?;
            if user.is_none_or(|u| u.status != UserStatus::Active) {
                return Err(Error::invalid(
                    "invalid_reviewers",
                    "reviewers.user_ids",
                    "each reviewer must be an active user of the business",
                ));
            }
        }
        let schedule = ReviewSchedule {
            id: ReviewScheduleId::new(now),
            name,
            scope: new.scope.clone(),
            reviewers: new.reviewers.clone(),
            every_days: new.every_days,
            review_days: new.review_days,
            next_at: first,
            created_at: now,
        };
        tx.insert_review_schedule(business, &schedule).await?;
        let event = Audit::new(now, Some(business), access.actor(), ctx).event(
            "review.schedule_created",
            schedule_target(&schedule),
            None,
            Some(serde_json::to_value(&schedule).unwrap_or_default()),
        );
        self.commit(tx, vec![event]).await?;
        Ok(schedule)
    }

    /// The business's schedules. Requires `audit.view`.
    pub async fn list_review_schedules(
        &self,
        access: &BusinessAccess<AuditView>,
    ) -> Result<Vec<ReviewSchedule>> {
        self.store()
            .list_review_schedules(access.business_id())
            .await
    }

    /// Deletes a schedule (reviews it started stay). Requires `reviews.manage`.
    pub async fn delete_review_schedule(
        &self,
        access: &BusinessAccess<ReviewsManage>,
        ctx: &RequestContext,
        id: ReviewScheduleId,
    ) -> Result<()> {
        let business = access.business_id();
        let schedule = self
            .store()
            .list_review_schedules(business)
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or(Error::ReviewScheduleNotFound)?;
        let mut tx = self.store().begin().await?;
        if !tx.delete_review_schedule(business, id).await? {
            return Err(Error::ReviewScheduleNotFound);
        }
        let event = Audit::new(self.now(), Some(business), access.actor(), ctx).event(
            "review.schedule_deleted",
            schedule_target(&schedule),
            Some(serde_json::to_value(&schedule).unwrap_or_default()),
            None,
        );
        self.commit(tx, vec![event]).await
    }

    /// Starts the reviews whose schedule is due; how many. Run by `gatehouse serve`'s
    /// housekeeping.
    pub async fn start_scheduled_reviews(&self) -> Result<usize> {
        let now = self.now();
        let due = self.store().list_due_review_schedules(now).await?;
        let mut started = 0;
        for (business, s) in &due {
            started += usize::from(self.start_occurrence(*business, s, now).await?);
        }
        Ok(started)
    }

    async fn start_occurrence(
        &self,
        business: BusinessId,
        s: &super::ReviewSchedule,
        now: OffsetDateTime,
    ) -> Result<bool> {
        // The next start after now: occurrences missed while nothing ran are not made up.
        let every = Duration::days(i64::from(s.every_days));
        let mut next = s.next_at + every;
        while next <= now {
            next += every;
        }
        let new = NewReview {
            name: s.name.clone(),
            scope: s.scope.clone(),
            reviewers: s.reviewers.clone(),
            due_at: now + Duration::days(i64::from(s.review_days)),
        };
        let actor = Actor::system();
        let ctx = RequestContext::default();
        match self
            .start_review(business, &actor, &ctx, &new, Some((s, next)))
            .await
        {
            Ok(_) => Ok(true),
            // Another node started it, or the schedule was deleted meanwhile.
            Err(Error::ReviewScheduleNotFound) => Ok(false),
            Err(e @ (Error::Invalid { .. } | Error::GroupNotFound)) => {
                let mut tx = self.store().begin().await?;
                if !tx
                    .advance_review_schedule(business, s.id, s.next_at, next)
                    .await?
                {
                    return Ok(false);
                }
                let event = Audit::new(now, Some(business), &actor, &ctx).event(
                    "review.schedule_failed",
                    schedule_target(s),
                    None,
                    Some(json!({ "error": e.code(), "message": e.to_string(),
                                 "next_at": crate::clock::rfc3339(next) })),
                );
                self.commit(tx, vec![event]).await?;
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }
}
