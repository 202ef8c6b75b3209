//! "Where do I sign in?": an email typed on the landing page is mailed one message listing
//! a sign-in link for each business where it has an account that can sign in. The answer
//! never says whether the address has any account: it is the same for every address, and so
//! is the work done before it (only the client's rate limit); the lookup and the mail happen
//! after the answer.
//!
//! Limits, both counted in the database so they hold across nodes: each client address may
//! ask `auth.rate_limit_sign_in_links` times a minute (beyond that: 429 with `Retry-After`,
//! whatever the email), and each email address is mailed at most once per
//! `sign_in_links_interval` (15 minutes by default) however many clients ask — requests in
//! between are answered the same and mail nothing.
//!
//! Which accounts: active and (temporarily) locked ones, whose business's sign-in page is
//! where they sign in. Not deactivated ones, and not pending ones: an invitation is accepted
//! from its own mail (the sign-in page cannot help them), and naming a business that invited
//! the address would tell of an invitation that may have been revoked.
//!
//! Audit: each business where a link was sent records `auth.sign_in_links_sent` about its
//! account (by the system, from the client's address), saying nothing of other businesses.
//! An address without accounts is recorded nowhere: there is no business to record it in,
//! and keeping addresses anyone typed would fill the operator's log with whatever was typed.

use time::OffsetDateTime;

use super::limits::Limited;
use crate::Gatehouse;
use crate::audit::RequestContext;
use crate::auth::TokenHash;
use crate::error::Result;
use crate::mail::{Mail, MailMessage, SignInLink};
use crate::model::{Business, User, UserStatus};
use crate::principal::Actor;
use crate::services::{Audit, user_target};
use crate::types::Email;

impl Gatehouse {
    /// Mails `email` the sign-in links of its accounts, if it has any, after answering.
    /// `RateLimited` only when this client asked too often (whatever the email).
    pub async fn request_sign_in_links(&self, ctx: &RequestContext, email: &Email) -> Result<()> {
        self.check_rate(ctx, Limited::SignInLinks).await?;
        // The request's time, not the moment the work gets to run, decides the limit.
        let at = self.now();
        let gh = self.clone();
        let (ctx, email) = (ctx.clone(), email.clone());
        tokio::spawn(async move {
            if let Err(e) = gh.send_sign_in_links(&ctx, &email, at).await {
                tracing::error!(error = %e, code = e.code(), "sign-in links request failed");
            }
        });
        Ok(())
    }

    /// The work of a sign-in-links request, after its answer.
    async fn send_sign_in_links(
        &self,
        ctx: &RequestContext,
        email: &Email,
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut accounts: Vec<(Business, User)> = Vec::new();
        for (business, user) in self.store.list_accounts_with_email(email).await? {
            let (Some(b), Some(u)) = (
                self.store.get_business(business).await?,
                self.store.get_user(business, user).await?,
            ) else {
                continue;
            };
            if matches!(u.status, UserStatus::Active | UserStatus::Locked) {
                accounts.push((b, u));
            }
        }
        accounts.sort_by(|(a, _), (b, _)| a.name.as_str().cmp(b.name.as_str()));
        let Some((_, first)) = accounts.first() else {
            return Ok(());
        };
        let bucket = format!(
            "sign_in_links:{}",
            TokenHash::of(email.as_str().as_bytes()).to_hex()
        );
        let since = now - self.auth.config.rate_limit.sign_in_links_interval;
        if !self.store.claim_rate_limit(&bucket, now, since).await? {
            tracing::info!("sign-in links not mailed: the address was mailed them recently");
            return Ok(());
        }
        let links = accounts
            .iter()
            .map(|(b, _)| SignInLink {
                business: b.name.to_string(),
                link: self.link(&format!("/b/{}/sign-in", b.slug)),
            })
            .collect();
        let actor = Actor::system();
        let events = accounts
            .iter()
            .map(|(b, u)| {
                let audit = Audit::new(now, Some(b.id), &actor, ctx);
                audit.event("auth.sign_in_links_sent", user_target(u), None, None)
            })
            .collect();
        let mail = Mail {
            to: email.clone(),
            business: String::new(),
            message: MailMessage::SignInLinks { links },
        };
        let mut tx = self.store.begin().await?;
        // One message for every business: filed in the outbox under the first account.
        self.enqueue_mail(tx.as_mut(), first, mail).await?;
        self.commit(tx, events).await
    }
}
