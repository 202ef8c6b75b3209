//! Starting a review: the scope's memberships captured as items, each with its reviewers,
//! the review and its items written with the start notices and the audit event in one
//! transaction.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::{
    AccessReview, MAX_GROUPS, MAX_ITEMS, MAX_REVIEW, MAX_REVIEWERS, ReviewItem, ReviewSchedule,
    ReviewScope, ReviewState, Reviewers, check_name, target,
};
use crate::audit::RequestContext;
use crate::error::{Error, Result};
use crate::ids::{AccessReviewId, BusinessId, GroupId, ReviewItemId, UserId};
use crate::mail::ReviewNotice;
use crate::model::{Group, UserStatus};
use crate::principal::{Actor, BusinessAccess, ReviewsManage};
use crate::services::{Audit, Gatehouse};

/// A review to start.
#[derive(Debug, Clone)]
pub struct NewReview {
    pub name: String,
    pub scope: ReviewScope,
    pub reviewers: Reviewers,
    pub due_at: OffsetDateTime,
}

/// Checks a due date: at least an hour ahead, at most [`MAX_REVIEW`].
fn check_due(due: OffsetDateTime, now: OffsetDateTime) -> Result<()> {
    if due < now + Duration::hours(1) || due - now > MAX_REVIEW {
        return Err(Error::invalid(
            "invalid_due_date",
            "due_at",
            "from 1 hour to 366 days ahead",
        ));
    }
    Ok(())
}

/// Checks the shape of a scope and of the reviewers (what needs no stored state).
pub(super) fn check_definition(scope: &ReviewScope, reviewers: &Reviewers) -> Result<()> {
    if let ReviewScope::Groups { group_ids } = scope {
        let distinct: BTreeSet<_> = group_ids.iter().collect();
        if group_ids.is_empty() || group_ids.len() > MAX_GROUPS || distinct.len() != group_ids.len()
        {
            return Err(Error::invalid(
                "invalid_review_scope",
                "scope.group_ids",
                format!("1 to {MAX_GROUPS} distinct groups"),
            ));
        }
    }
    let distinct: BTreeSet<_> = reviewers.user_ids.iter().collect();
    if (!reviewers.group_owners && reviewers.user_ids.is_empty())
        || reviewers.user_ids.len() > MAX_REVIEWERS
        || distinct.len() != reviewers.user_ids.len()
    {
        return Err(Error::invalid(
            "invalid_reviewers",
            "reviewers",
            format!("group owners and/or 1 to {MAX_REVIEWERS} distinct users"),
        ));
    }
    Ok(())
}

impl Gatehouse {
    /// Starts a review. Requires `reviews.manage`. Each reviewer is mailed their items.
    pub async fn start_access_review(
        &self,
        access: &BusinessAccess<ReviewsManage>,
        ctx: &RequestContext,
        new: &NewReview,
    ) -> Result<AccessReview> {
        self.start_review(access.business_id(), access.actor(), ctx, new, None)
            .await
    }

    /// Starts a review as `actor`; with a schedule, moves its next start to `next` in the
    /// same transaction (and fails with `ReviewScheduleNotFound` if another node did first).
    pub(super) async fn start_review(
        &self,
        business: BusinessId,
        actor: &Actor,
        ctx: &RequestContext,
        new: &NewReview,
        schedule: Option<(&ReviewSchedule, OffsetDateTime)>,
    ) -> Result<AccessReview> {
        let now = self.now();
        let name = check_name(&new.name)?;
        check_definition(&new.scope, &new.reviewers)?;
        check_due(new.due_at, now)?;
        let id = AccessReviewId::new(now);
        let items = self
            .plan_items(business, id, &new.scope, &new.reviewers, now)
            .await?;
        let review = AccessReview {
            id,
            name,
            scope: new.scope.clone(),
            reviewers: new.reviewers.clone(),
            schedule_id: schedule.map(|(s, _)| s.id),
            state: ReviewState::Open,
            due_at: new.due_at,
            started_at: now,
            started_by: actor.label.clone(),
            closed_at: None,
            closed_by: None,
            items_total: i64::try_from(items.len()).unwrap_or(i64::MAX),
            items_decided: 0,
        };
        let mut tx = self.store().begin().await?;
        if let Some((s, next)) = schedule
            && !tx
                .advance_review_schedule(business, s.id, s.next_at, next)
                .await?
        {
            return Err(Error::ReviewScheduleNotFound);
        }
        tx.insert_access_review(business, &review, &items).await?;
        let mut pending: BTreeMap<UserId, u32> = BTreeMap::new();
        for reviewer in items.iter().flat_map(|i| &i.reviewer_ids) {
            *pending.entry(*reviewer).or_default() += 1;
        }
        let mut notified = Vec::new();
        for (reviewer, count) in &pending {
            let stage = ReviewNotice::Assigned;
            if let Some(email) = self
                .notify(
                    tx.as_mut(),
                    business,
                    &review,
                    *reviewer,
                    stage,
                    *count,
                    now,
                )
                .await?
            {
                notified.push(email);
            }
        }
        let event = Audit::new(now, Some(business), actor, ctx).event(
            "review.started",
            target(&review),
            None,
            Some(json!({
                "scope": review.scope, "reviewers": review.reviewers,
                "due_at": crate::clock::rfc3339(review.due_at), "items": items.len(),
                "notified": notified, "schedule_id": review.schedule_id,
            })),
        );
        self.commit(tx, vec![event]).await?;
        Ok(review)
    }

    /// The scope's memberships as items, each with its reviewers; refuses a scope with a
    /// membership nobody may review.
    async fn plan_items(
        &self,
        business: BusinessId,
        review: AccessReviewId,
        scope: &ReviewScope,
        reviewers: &Reviewers,
        now: OffsetDateTime,
    ) -> Result<Vec<ReviewItem>> {
        let store = self.store();
        let groups = store.list_groups(business).await?;
        let chosen: BTreeMap<GroupId, &Group> = match scope {
            ReviewScope::All => groups.iter().map(|g| (g.id, g)).collect(),
            ReviewScope::SensitiveOrLive => groups
                .iter()
                .filter(|g| {
                    !g.grants.live.is_empty() || !self.catalog.sensitive_in(&g.grants).is_empty()
                })
                .map(|g| (g.id, g))
                .collect(),
            ReviewScope::Groups { group_ids } => {
                let mut chosen = BTreeMap::new();
                for id in group_ids {
                    let g = groups
                        .iter()
                        .find(|g| g.id == *id)
                        .ok_or(Error::GroupNotFound)?;
                    chosen.insert(g.id, g);
                }
                chosen
            }
        };
        let facts: BTreeMap<UserId, _> = store
            .list_user_facts(business)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let active = |id: &UserId| {
            facts
                .get(id)
                .is_some_and(|u| u.status == UserStatus::Active)
        };
        if reviewers.user_ids.iter().any(|id| !active(id)) {
            return Err(Error::invalid(
                "invalid_reviewers",
                "reviewers.user_ids",
                "each reviewer must be an active user of the business",
            ));
        }
        let mut owners: BTreeMap<GroupId, Vec<UserId>> = BTreeMap::new();
        if reviewers.group_owners {
            for o in store.list_group_owners(business).await? {
                if active(&o.user_id) {
                    owners.entry(o.group_id).or_default().push(o.user_id);
                }
            }
        }
        let mut items = Vec::new();
        let mut unassigned = BTreeSet::new();
        for (group, user, expires_at) in store.list_memberships(business).await? {
            let (Some(g), Some(member)) = (chosen.get(&group), facts.get(&user)) else {
                continue;
            };
            if expires_at.is_some_and(|end| end <= now) {
                continue;
            }
            let mut ids: Vec<UserId> = owners.get(&group).cloned().unwrap_or_default();
            ids.extend(&reviewers.user_ids);
            ids.retain(|r| *r != user);
            ids.sort();
            ids.dedup();
            if ids.is_empty() {
                unassigned.insert(g.name.to_string());
                continue;
            }
            items.push(ReviewItem {
                id: ReviewItemId::new(now),
                review_id: review,
                group_id: group,
                group_name: g.name.to_string(),
                user_id: user,
                email: member.email.to_string(),
                permissions: g.grants.clone(),
                expires_at,
                last_sign_in: member.last_sign_in,
                reviewer_ids: ids,
                decision: None,
                comment: None,
                decided_by: None,
                decided_at: None,
            });
        }
        if !unassigned.is_empty() {
            let names: Vec<String> = unassigned.into_iter().take(10).collect();
            return Err(Error::invalid(
                "review_unassigned",
                "reviewers",
                format!(
                    "nobody may review some members of: {} (add group owners or name reviewers)",
                    names.join(", ")
                ),
            ));
        }
        if items.len() > MAX_ITEMS {
            return Err(Error::invalid(
                "review_too_large",
                "scope",
                format!("a review holds at most {MAX_ITEMS} memberships; narrow the scope"),
            ));
        }
        items.sort_by(|a, b| (&a.group_name, &a.email).cmp(&(&b.group_name, &b.email)));
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_need_a_scope_and_a_reviewer() {
        let owners = Reviewers {
            group_owners: true,
            user_ids: vec![],
        };
        assert!(check_definition(&ReviewScope::All, &owners).is_ok());
        assert!(check_definition(&ReviewScope::All, &Reviewers::default()).is_err());
        let none = ReviewScope::Groups { group_ids: vec![] };
        assert!(check_definition(&none, &owners).is_err());
        let g = GroupId::new(OffsetDateTime::UNIX_EPOCH);
        let twice = ReviewScope::Groups {
            group_ids: vec![g, g],
        };
        assert!(check_definition(&twice, &owners).is_err());
    }
}
