//! Access reviews (certifications): an administrator with `reviews.manage` starts a review
//! over a scope of groups; every membership in scope becomes an item (group × member, with
//! what the group grants and the member's last sign-in, captured at the start); each item has
//! its reviewers (the group's owners and/or named users, never the member themselves), who
//! keep or remove it with a comment. A removal takes the membership away in the decision's
//! transaction. Reminders go to reviewers, overdue reviews escalate to administrators, and
//! closing stores a report of who decided what, when. Schedules start reviews again and
//! again. Every step is audited as `review.*` (the webhooks' `reviews` event type).

mod close;
mod decide;
mod notices;
mod owners;
mod schedules;
mod start;
pub mod store;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::error::{Error, Result};
use crate::grants::Grants;
use crate::ids::{AccessReviewId, GroupId, ReviewItemId, ReviewScheduleId, UserId};

pub use close::{Outcome, ReportLine, ReviewReport};
pub use owners::GroupOwner;
pub use schedules::{NewSchedule, ReviewSchedule};
pub use start::NewReview;
pub use store::{ReviewReads, ReviewWrites};

/// A review lasts at least an hour and at most a year.
pub const MAX_REVIEW: Duration = Duration::days(366);
/// The longest review name and decision comment.
pub const MAX_NAME: usize = 100;
pub const MAX_COMMENT: usize = 500;
/// How many groups a chosen scope names, and named reviewers a review has, at most.
pub const MAX_GROUPS: usize = 100;
pub const MAX_REVIEWERS: usize = 50;
/// How many items one review holds at most (a larger scope is split into several reviews).
pub const MAX_ITEMS: usize = 20_000;
/// Reviewers with pending items are reminded this long before the due date.
pub const REMIND_BEFORE: Duration = Duration::days(3);

/// Which memberships a review covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ReviewScope {
    /// Every group of the business.
    All,
    /// Groups that grant a sensitive permission or any permission in Live.
    SensitiveOrLive,
    /// The groups named (1–100).
    Groups { group_ids: Vec<GroupId> },
}

impl ReviewScope {
    pub fn kind(&self) -> &'static str {
        match self {
            ReviewScope::All => "all",
            ReviewScope::SensitiveOrLive => "sensitive_or_live",
            ReviewScope::Groups { .. } => "groups",
        }
    }
}

/// Who reviews an item: the group's owners, the named users, or both (at least one kind).
/// Nobody reviews their own membership.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reviewers {
    /// Each group's owners review its members.
    #[serde(default)]
    pub group_owners: bool,
    /// These users review every item (0–50 active users of the business).
    #[serde(default)]
    pub user_ids: Vec<UserId>,
}

/// Where a review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Open,
    Closed,
}

impl ReviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Open => "open",
            ReviewState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Closed]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// A reviewer's decision on one membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Keep,
    Remove,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Keep => "keep",
            Decision::Remove => "remove",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Keep, Self::Remove]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// One review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccessReview {
    pub id: AccessReviewId,
    pub name: String,
    pub scope: ReviewScope,
    pub reviewers: Reviewers,
    /// The schedule that started it, if one did.
    pub schedule_id: Option<ReviewScheduleId>,
    pub state: ReviewState,
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// Who started it, as the audit trail names them.
    pub started_by: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    pub closed_by: Option<String>,
    pub items_total: i64,
    pub items_decided: i64,
}

/// One membership under review, as captured when the review started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReviewItem {
    pub id: ReviewItemId,
    pub review_id: AccessReviewId,
    pub group_id: GroupId,
    pub group_name: String,
    pub user_id: UserId,
    pub email: String,
    /// What the membership granted at the start.
    pub permissions: Grants,
    /// When a temporary membership ends.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// The member's last sign-in before the start, if any.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_sign_in: Option<OffsetDateTime>,
    /// Who may decide it.
    pub reviewer_ids: Vec<UserId>,
    pub decision: Option<Decision>,
    pub comment: Option<String>,
    /// Who decided, as the audit trail names them.
    pub decided_by: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
}

/// A review with its items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReviewDetail {
    pub review: AccessReview,
    pub items: Vec<ReviewItem>,
}

fn target(r: &AccessReview) -> (&'static str, String, String) {
    ("access_review", r.id.to_string(), r.name.clone())
}

/// A name: 1–100 characters, no control characters.
fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "invalid_review_name",
            "name",
            format!("1 to {MAX_NAME} characters, no control characters"),
        ));
    }
    Ok(name.to_owned())
}
