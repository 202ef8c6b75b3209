//! What access reviews read and write: group owners, reviews, their items and reviewers,
//! the notices already sent, schedules.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{AccessReview, GroupOwner, ReviewItem, ReviewSchedule};
use crate::error::Result;
use crate::ids::{AccessReviewId, BusinessId, GroupId, ReviewItemId, ReviewScheduleId, UserId};

/// A membership as a review captures it: group, member, and its end if it has one.
pub type Membership = (GroupId, UserId, Option<OffsetDateTime>);

#[async_trait]
pub trait ReviewReads: Send + Sync {
    /// The business's group owners, by group then email.
    async fn list_group_owners(&self, business: BusinessId) -> Result<Vec<GroupOwner>>;
    /// Every membership of the business (ended temporary ones included; the caller filters).
    async fn list_memberships(&self, business: BusinessId) -> Result<Vec<Membership>>;
    /// The business's reviews, newest first.
    async fn list_access_reviews(&self, business: BusinessId) -> Result<Vec<AccessReview>>;
    async fn get_access_review(
        &self,
        business: BusinessId,
        id: AccessReviewId,
    ) -> Result<Option<AccessReview>>;
    /// A review's items, by group name then email.
    async fn list_review_items(
        &self,
        business: BusinessId,
        review: AccessReviewId,
    ) -> Result<Vec<ReviewItem>>;
    /// The undecided items of open reviews that `user` is a reviewer of.
    async fn list_assigned_items(
        &self,
        business: BusinessId,
        user: UserId,
    ) -> Result<Vec<ReviewItem>>;
    /// The report stored when the review closed (JSON), if it is closed.
    async fn get_review_report(
        &self,
        business: BusinessId,
        id: AccessReviewId,
    ) -> Result<Option<String>>;
    /// Open reviews of every business due before `before`, soonest first.
    async fn list_open_reviews_due(
        &self,
        before: OffsetDateTime,
    ) -> Result<Vec<(BusinessId, AccessReview)>>;
    /// The business's schedules, by name.
    async fn list_review_schedules(&self, business: BusinessId) -> Result<Vec<ReviewSchedule>>;
    /// Schedules of every business whose next start is at or before `now`.
    async fn list_due_review_schedules(
        &self,
        now: OffsetDateTime,
    ) -> Result<Vec<(BusinessId, ReviewSchedule)>>;
}

#[async_trait]
pub trait ReviewWrites: Send {
    /// Makes `user` an owner of `group`; whether they were not one already.
    async fn insert_group_owner(
        &mut self,
        business: BusinessId,
        group: GroupId,
        user: UserId,
        at: OffsetDateTime,
    ) -> Result<bool>;
    /// Whether `user` was an owner of `group`.
    async fn delete_group_owner(
        &mut self,
        business: BusinessId,
        group: GroupId,
        user: UserId,
    ) -> Result<bool>;
    /// A new review with its items and each item's reviewers.
    async fn insert_access_review(
        &mut self,
        business: BusinessId,
        review: &AccessReview,
        items: &[ReviewItem],
    ) -> Result<()>;
    /// The review, locked against a concurrent close (PostgreSQL: shared for decisions,
    /// exclusive for closing; SQLite has one writer).
    async fn lock_access_review(
        &mut self,
        business: BusinessId,
        id: AccessReviewId,
        exclusive: bool,
    ) -> Result<Option<AccessReview>>;
    async fn get_review_item(
        &mut self,
        business: BusinessId,
        review: AccessReviewId,
        id: ReviewItemId,
    ) -> Result<Option<ReviewItem>>;
    /// Records the decision of an item still undecided; whether it was.
    async fn decide_review_item(&mut self, business: BusinessId, item: &ReviewItem)
    -> Result<bool>;
    /// The review's items, read in the closing transaction.
    async fn list_items_for_close(
        &mut self,
        business: BusinessId,
        review: AccessReviewId,
    ) -> Result<Vec<ReviewItem>>;
    /// Closes an open review with its report; whether it was open.
    async fn close_access_review(
        &mut self,
        business: BusinessId,
        review: &AccessReview,
        report: &str,
    ) -> Result<bool>;
    /// Records that `user` was sent the notice `stage` of a review; whether it is new.
    async fn insert_review_notice(
        &mut self,
        review: AccessReviewId,
        user: UserId,
        stage: &str,
        at: OffsetDateTime,
    ) -> Result<bool>;
    async fn insert_review_schedule(
        &mut self,
        business: BusinessId,
        schedule: &ReviewSchedule,
    ) -> Result<()>;
    /// Whether the schedule existed.
    async fn delete_review_schedule(
        &mut self,
        business: BusinessId,
        id: ReviewScheduleId,
    ) -> Result<bool>;
    /// Moves a schedule's next start from `from` to `to`; whether it still was `from` (so
    /// two nodes never start the same occurrence).
    async fn advance_review_schedule(
        &mut self,
        business: BusinessId,
        id: ReviewScheduleId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<bool>;
}
