//! A review's mail: reviewers are told when it starts and reminded [`REMIND_BEFORE`] its due
//! date if items of theirs wait; once it is overdue, the administrators (`reviews.manage`)
//! are told. Each notice goes to each person once per review (recorded in the same
//! transaction as the mail), so the housekeeping loop may run on every node, any number of
//! times. Driven by the Clock.

use std::collections::BTreeMap;

use serde_json::json;
use time::OffsetDateTime;

use super::{AccessReview, REMIND_BEFORE, target};
use crate::audit::RequestContext;
use crate::authz::CheckQuery;
use crate::error::{Error, Result};
use crate::ids::{BusinessId, UserId};
use crate::mail::{MailMessage, ReviewNotice};
use crate::model::UserStatus;
use crate::principal::Actor;
use crate::services::{Audit, Gatehouse};
use crate::store::StoreTx;

impl Gatehouse {
    /// The mail of one notice about `review`.
    async fn notice_message(
        &self,
        tx: &mut dyn StoreTx,
        business: BusinessId,
        review: &AccessReview,
        notice: ReviewNotice,
        pending: u32,
    ) -> Result<MailMessage> {
        let record = tx
            .get_business(business)
            .await?
            .ok_or(Error::BusinessNotFound)?;
        let link = format!(
            "{}/b/{}/admin/access-reviews/{}",
            self.auth.config.public_url.trim_end_matches('/'),
            record.slug,
            review.id
        );
        Ok(MailMessage::AccessReview {
            notice,
            review: review.name.clone(),
            pending,
            due_at: review.due_at,
            link,
        })
    }

    /// Sends the reminders and escalations that are due; how many mails. Run by
    /// `gatehouse serve`'s housekeeping.
    pub async fn send_access_review_notices(&self) -> Result<usize> {
        let now = self.now();
        let due = self
            .store()
            .list_open_reviews_due(now + REMIND_BEFORE)
            .await?;
        let mut sent = 0;
        for (business, review) in &due {
            sent += self.review_notices(*business, review, now).await?;
        }
        Ok(sent)
    }

    async fn review_notices(
        &self,
        business: BusinessId,
        review: &AccessReview,
        now: OffsetDateTime,
    ) -> Result<usize> {
        let items = self.store().list_review_items(business, review.id).await?;
        let mut pending: BTreeMap<UserId, u32> = BTreeMap::new();
        let mut total = 0u32;
        for item in items.iter().filter(|i| i.decision.is_none()) {
            total += 1;
            for r in &item.reviewer_ids {
                *pending.entry(*r).or_default() += 1;
            }
        }
        if total == 0 {
            return Ok(0);
        }
        // A review shorter than the reminder window got its reminder with the start mail.
        let remind = review.started_at < review.due_at - REMIND_BEFORE;
        let overdue = now >= review.due_at;
        let admins = if overdue {
            self.review_admins(business, now).await?
        } else {
            Vec::new()
        };
        let mut tx = self.store().begin().await?;
        let mut reminded = Vec::new();
        if remind {
            for (reviewer, count) in &pending {
                let stage = ReviewNotice::Reminder;
                if let Some(email) = self
                    .notify(tx.as_mut(), business, review, *reviewer, stage, *count, now)
                    .await?
                {
                    reminded.push(email);
                }
            }
        }
        let mut escalated = Vec::new();
        for admin in &admins {
            let stage = ReviewNotice::Overdue;
            if let Some(email) = self
                .notify(tx.as_mut(), business, review, *admin, stage, total, now)
                .await?
            {
                escalated.push(email);
            }
        }
        let actor = Actor::system();
        let ctx = RequestContext::default();
        let audit = Audit::new(now, Some(business), &actor, &ctx);
        let mut events = Vec::new();
        if !reminded.is_empty() {
            events.push(audit.event(
                "review.reminded",
                target(review),
                None,
                Some(json!({ "recipients": reminded, "pending": total })),
            ));
        }
        if !escalated.is_empty() {
            events.push(audit.event(
                "review.escalated",
                target(review),
                None,
                Some(json!({ "recipients": escalated, "pending": total,
                             "due_at": crate::clock::rfc3339(review.due_at) })),
            ));
        }
        if events.is_empty() {
            return Ok(0);
        }
        let sent = reminded.len() + escalated.len();
        self.commit(tx, events).await?;
        Ok(sent)
    }

    /// Mails `user` the notice `stage` unless they had it; their email if mailed.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn notify(
        &self,
        tx: &mut dyn StoreTx,
        business: BusinessId,
        review: &AccessReview,
        user: UserId,
        stage: ReviewNotice,
        pending: u32,
        now: OffsetDateTime,
    ) -> Result<Option<String>> {
        let Some(u) = tx.get_user(business, user).await? else {
            return Ok(None);
        };
        if u.status != UserStatus::Active
            || !tx
                .insert_review_notice(review.id, user, stage.as_str(), now)
                .await?
        {
            return Ok(None);
        }
        let message = self
            .notice_message(tx, business, review, stage, pending)
            .await?;
        self.mail_user(tx, &u, message).await?;
        Ok(Some(u.email.to_string()))
    }

    /// The business's active users who hold `reviews.manage` now.
    async fn review_admins(
        &self,
        business: BusinessId,
        now: OffsetDateTime,
    ) -> Result<Vec<UserId>> {
        let store = self.store();
        let snap = self.engine.snapshot_or_load(store, business).await?;
        let perms = self.engine.permissions();
        Ok(store
            .list_user_facts(business)
            .await?
            .into_iter()
            .filter(|u| u.status == UserStatus::Active)
            .filter(|u| {
                let q = CheckQuery {
                    user: u.id,
                    permission: "reviews.manage",
                    tenant: None,
                    environment: None,
                };
                snap.check(perms, &q, now).is_ok_and(|d| d.allowed)
            })
            .map(|u| u.id)
            .collect())
    }
}
