//! Closing a review: an administrator closes it (reviews never close by themselves: an
//! overdue review escalates instead); the report — every item with who decided what, when,
//! and undecided ones as "no decision" — is stored in the closing transaction and read back
//! unchanged for export.

use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;

use super::{AccessReview, Decision, ReviewItem, ReviewState, target};
use crate::audit::RequestContext;
use crate::error::{Error, Result};
use crate::grants::Grants;
use crate::ids::{AccessReviewId, GroupId, UserId};
use crate::principal::{AuditView, BusinessAccess, ReviewsManage};
use crate::services::{Audit, Gatehouse};

/// What became of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Keep,
    Remove,
    /// Nobody decided before the review was closed; the membership was left as it was.
    NoDecision,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Keep => "keep",
            Outcome::Remove => "remove",
            Outcome::NoDecision => "no_decision",
        }
    }
}

/// One line of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportLine {
    pub group_id: GroupId,
    pub group: String,
    pub user_id: UserId,
    pub email: String,
    /// What the membership granted when the review started.
    pub permissions: Grants,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_sign_in: Option<OffsetDateTime>,
    pub outcome: Outcome,
    pub comment: Option<String>,
    pub decided_by: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
}

/// The report of a closed review, as stored when it closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewReport {
    pub review: AccessReview,
    pub lines: Vec<ReportLine>,
}

fn line(i: &ReviewItem) -> ReportLine {
    ReportLine {
        group_id: i.group_id,
        group: i.group_name.clone(),
        user_id: i.user_id,
        email: i.email.clone(),
        permissions: i.permissions.clone(),
        last_sign_in: i.last_sign_in,
        outcome: match i.decision {
            Some(Decision::Keep) => Outcome::Keep,
            Some(Decision::Remove) => Outcome::Remove,
            None => Outcome::NoDecision,
        },
        comment: i.comment.clone(),
        decided_by: i.decided_by.clone(),
        decided_at: i.decided_at,
    }
}

impl Gatehouse {
    /// Closes an open review and stores its report. Requires `reviews.manage`.
    pub async fn close_access_review(
        &self,
        access: &BusinessAccess<ReviewsManage>,
        ctx: &RequestContext,
        id: AccessReviewId,
    ) -> Result<ReviewReport> {
        let business = access.business_id();
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut review = tx
            .lock_access_review(business, id, true)
            .await?
            .ok_or(Error::AccessReviewNotFound)?;
        if review.state != ReviewState::Open {
            return Err(Error::AccessReviewClosed);
        }
        let items = tx.list_items_for_close(business, id).await?;
        let lines: Vec<ReportLine> = items.iter().map(line).collect();
        let count = |o: Outcome| lines.iter().filter(|l| l.outcome == o).count();
        let (kept, removed, undecided) = (
            count(Outcome::Keep),
            count(Outcome::Remove),
            count(Outcome::NoDecision),
        );
        review.state = ReviewState::Closed;
        review.closed_at = Some(now);
        review.closed_by = Some(access.actor().label.clone());
        review.items_total = i64::try_from(lines.len()).unwrap_or(i64::MAX);
        review.items_decided = i64::try_from(kept + removed).unwrap_or(i64::MAX);
        let report = ReviewReport { review, lines };
        let stored =
            serde_json::to_string(&report).map_err(|e| Error::Storage(format!("report: {e}")))?;
        if !tx
            .close_access_review(business, &report.review, &stored)
            .await?
        {
            return Err(Error::AccessReviewClosed);
        }
        let event = Audit::new(now, Some(business), access.actor(), ctx).event(
            "review.closed",
            target(&report.review),
            Some(json!({ "state": "open" })),
            Some(json!({
                "state": "closed", "items": report.lines.len(), "kept": kept,
                "removed": removed, "no_decision": undecided,
            })),
        );
        self.commit(tx, vec![event]).await?;
        Ok(report)
    }

    /// The stored report of a closed review. Requires `audit.view`.
    pub async fn access_review_report(
        &self,
        access: &BusinessAccess<AuditView>,
        id: AccessReviewId,
    ) -> Result<ReviewReport> {
        let business = access.business_id();
        self.store()
            .get_access_review(business, id)
            .await?
            .ok_or(Error::AccessReviewNotFound)?;
        let stored = self
            .store()
            .get_review_report(business, id)
            .await?
            .ok_or(Error::AccessReviewOpen)?;
        serde_json::from_str(&stored).map_err(|e| Error::Storage(format!("report: {e}")))
    }
}
