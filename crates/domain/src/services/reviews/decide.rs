//! Reading reviews, a reviewer's worklist, and deciding an item. A reviewer sees and decides
//! only the items they are assigned (anything else is "not found", so nobody learns what
//! others review); nobody is ever assigned their own membership. Removing takes the
//! membership away in the decision's transaction, through the same last-administrator rule
//! as any removal, so the very next check is denied.

use serde_json::json;

use super::{AccessReview, Decision, MAX_COMMENT, ReviewDetail, ReviewItem, ReviewState, target};
use crate::audit::RequestContext;
use crate::error::{Error, Result};
use crate::ids::{AccessReviewId, ReviewItemId};
use crate::principal::{AnyMember, AuditView, BusinessAccess};
use crate::services::temporary::requests::own_user;
use crate::services::{Audit, Gatehouse, groups::remove_membership};

/// A comment: at most [`MAX_COMMENT`] characters without control characters; a removal
/// needs one (the report says why).
fn check_comment(decision: Decision, comment: &str) -> Result<Option<String>> {
    let comment = comment.trim();
    if comment.chars().count() > MAX_COMMENT
        || comment.chars().any(char::is_control)
        || (decision == Decision::Remove && comment.is_empty())
    {
        return Err(Error::invalid(
            "invalid_comment",
            "comment",
            format!("up to {MAX_COMMENT} characters; a removal says why"),
        ));
    }
    Ok((!comment.is_empty()).then(|| comment.to_owned()))
}

impl Gatehouse {
    /// The business's reviews, newest first. Requires `audit.view`.
    pub async fn list_access_reviews(
        &self,
        access: &BusinessAccess<AuditView>,
    ) -> Result<Vec<AccessReview>> {
        self.store().list_access_reviews(access.business_id()).await
    }

    /// A review with every item. Requires `audit.view`.
    pub async fn get_access_review(
        &self,
        access: &BusinessAccess<AuditView>,
        id: AccessReviewId,
    ) -> Result<ReviewDetail> {
        let business = access.business_id();
        let review = self
            .store()
            .get_access_review(business, id)
            .await?
            .ok_or(Error::AccessReviewNotFound)?;
        let items = self.store().list_review_items(business, id).await?;
        Ok(ReviewDetail { review, items })
    }

    /// The signed-in caller's worklist: the undecided items of open reviews they review.
    pub async fn list_my_review_items(
        &self,
        access: &BusinessAccess<AnyMember>,
    ) -> Result<Vec<ReviewItem>> {
        let me = own_user(access)?;
        self.store()
            .list_assigned_items(access.business_id(), me)
            .await
    }

    /// Keeps or removes a membership the signed-in caller reviews.
    pub async fn decide_review_item(
        &self,
        access: &BusinessAccess<AnyMember>,
        ctx: &RequestContext,
        review: AccessReviewId,
        item: ReviewItemId,
        decision: Decision,
        comment: &str,
    ) -> Result<ReviewItem> {
        let me = own_user(access)?;
        let comment = check_comment(decision, comment)?;
        let business = access.business_id();
        let now = self.now();
        let mut tx = self.store().begin().await?;
        // A removal may take away the last administrator: the business lock comes first,
        // as in every removal.
        let admins = if decision == Decision::Remove {
            Some(crate::services::auth::lock_and_count_admins(tx.as_mut(), business).await?)
        } else {
            None
        };
        let r = tx
            .lock_access_review(business, review, false)
            .await?
            .ok_or(Error::ReviewItemNotFound)?;
        let mut it = tx
            .get_review_item(business, review, item)
            .await?
            .filter(|i| i.reviewer_ids.contains(&me) && i.user_id != me)
            .ok_or(Error::ReviewItemNotFound)?;
        if r.state != ReviewState::Open {
            return Err(Error::AccessReviewClosed);
        }
        if it.decision.is_some() {
            return Err(Error::ReviewItemDecided);
        }
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let mut events = Vec::new();
        let mut removed = false;
        if let Some(admins) = admins {
            removed =
                remove_membership(tx.as_mut(), business, it.group_id, it.user_id, admins).await?;
            if removed {
                events.push(audit.event(
                    "group.member_removed",
                    ("group", it.group_id.to_string(), it.group_name.clone()),
                    Some(json!({ "user": it.email })),
                    Some(json!({ "access_review": r.id })),
                ));
            }
        }
        it.decision = Some(decision);
        it.comment = comment;
        it.decided_by = Some(access.actor().label.clone());
        it.decided_at = Some(now);
        if !tx.decide_review_item(business, &it).await? {
            return Err(Error::ReviewItemDecided);
        }
        events.insert(
            0,
            audit.event(
                "review.decided",
                target(&r),
                None,
                Some(json!({
                    "item": it.id, "group": it.group_name, "group_id": it.group_id,
                    "user": it.email, "user_id": it.user_id, "decision": decision,
                    "comment": it.comment, "membership_removed": removed,
                })),
            ),
        );
        self.commit(tx, events).await?;
        Ok(it)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_removal_says_why_and_comments_are_bounded() {
        assert_eq!(check_comment(Decision::Keep, "  ").unwrap(), None);
        assert!(check_comment(Decision::Remove, " ").is_err());
        assert_eq!(
            check_comment(Decision::Remove, " left ")
                .unwrap()
                .as_deref(),
            Some("left")
        );
        assert!(check_comment(Decision::Keep, "a\u{7}b").is_err());
        assert!(check_comment(Decision::Keep, &"x".repeat(MAX_COMMENT + 1)).is_err());
    }
}
