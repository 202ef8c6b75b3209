//! The weekly access-health digest: each business's score and findings, mailed through the
//! outbox to its administrators, except those who opted out.

use serde_json::json;

use super::findings::is_admin;
use super::{DIGEST_EVERY, Gatehouse, score};
use crate::audit::RequestContext;
use crate::error::{Error, Result};
use crate::ids::{BusinessId, UserId};
use crate::mail::MailMessage;
use crate::model::UserStatus;
use crate::principal::{Actor, AuditView, BusinessAccess};
use crate::services::Audit;
use crate::services::temporary::requests::own_user;

/// How many findings a digest names; the rest are counted.
const DIGEST_FINDINGS: usize = 10;

impl Gatehouse {
    /// Sends the digest of every business whose last went out a week ago or more (or
    /// never); how many businesses. Run by `gatehouse serve`'s housekeeping.
    pub async fn send_access_health_digests(&self) -> Result<usize> {
        let due = self
            .store()
            .list_businesses_due_digest(self.now() - DIGEST_EVERY)
            .await?;
        for business in &due {
            self.send_digest(*business).await?;
        }
        Ok(due.len())
    }

    async fn send_digest(&self, business: BusinessId) -> Result<()> {
        let now = self.now();
        let (found, _) = self.score_today(business).await?;
        let store = self.store();
        let snap = self.engine.snapshot_or_load(store, business).await?;
        let opted_out = store.list_digest_opt_outs(business).await?;
        let record = store
            .get_business(business)
            .await?
            .ok_or(Error::BusinessNotFound)?;
        let recipients: Vec<UserId> = store
            .list_user_facts(business)
            .await?
            .iter()
            .filter(|u| u.status == UserStatus::Active && !opted_out.contains(&u.id))
            .filter(|u| is_admin(&snap, self.engine.permissions(), u.id, now))
            .map(|u| u.id)
            .collect();
        let link = format!(
            "{}/b/{}/admin/access-health",
            self.auth.config.public_url.trim_end_matches('/'),
            record.slug
        );
        let message = MailMessage::AccessHealthDigest {
            score: score(&found),
            findings: found
                .iter()
                .take(DIGEST_FINDINGS)
                .map(|f| f.title.clone())
                .collect(),
            total: u32::try_from(found.len()).unwrap_or(u32::MAX),
            link,
        };
        let mut tx = store.begin().await?;
        let mut emails = Vec::new();
        for id in &recipients {
            if let Some(user) = tx.get_user(business, *id).await? {
                self.mail_user(tx.as_mut(), &user, message.clone()).await?;
                emails.push(user.email);
            }
        }
        tx.set_digest_sent(business, now).await?;
        let actor = Actor::system();
        let ctx = RequestContext::default();
        let event = Audit::new(now, Some(business), &actor, &ctx).event(
            "advisor.digest_sent",
            ("business", business.to_string(), record.name.to_string()),
            None,
            Some(json!({ "score": score(&found), "findings": found.len(), "recipients": emails })),
        );
        self.commit(tx, vec![event]).await
    }

    /// Whether the signed-in caller receives the weekly digest.
    pub async fn access_health_digest(&self, access: &BusinessAccess<AuditView>) -> Result<bool> {
        let me = own_user(access)?;
        let out = self
            .store()
            .list_digest_opt_outs(access.business_id())
            .await?;
        Ok(!out.contains(&me))
    }

    /// Opts the signed-in caller in or out of the weekly digest (audited).
    pub async fn set_access_health_digest(
        &self,
        access: &BusinessAccess<AuditView>,
        ctx: &RequestContext,
        receive: bool,
    ) -> Result<()> {
        let me = own_user(access)?;
        let business = access.business_id();
        let mut tx = self.store().begin().await?;
        tx.set_digest_opt_out(business, me, !receive).await?;
        let action = if receive {
            "advisor.digest_opted_in"
        } else {
            "advisor.digest_opted_out"
        };
        let event = Audit::new(self.now(), Some(business), access.actor(), ctx).event(
            action,
            ("user", me.to_string(), access.actor().label.clone()),
            None,
            None,
        );
        self.commit(tx, vec![event]).await
    }
}
