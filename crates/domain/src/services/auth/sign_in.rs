//! Signing in with email and password, in a business named by its slug. Unknown email,
//! wrong password, pending, locked or deactivated account: one answer, `SignInFailed`, after
//! the same argon2 work.

use serde_json::json;

use super::NewSession;
use super::limits::Limited;
use crate::Gatehouse;
use crate::audit::RequestContext;
use crate::auth::SessionStage;
use crate::error::{Error, Result};
use crate::model::{Business, User, UserStatus};
use crate::principal::Actor;
use crate::services::{Audit, user_target};
use crate::types::{Email, Slug};

impl Gatehouse {
    /// The business and user an email names, if both exist.
    pub(crate) async fn find_account(
        &self,
        slug: &str,
        email: &str,
    ) -> Result<(Option<Business>, Option<User>)> {
        let Ok(slug) = Slug::parse(slug) else {
            return Ok((None, None));
        };
        let Some(business) = self.store.get_business_by_slug(&slug).await? else {
            return Ok((None, None));
        };
        let user = match Email::parse(email) {
            Ok(email) => self.store.get_user_by_email(business.id, &email).await?,
            Err(_) => None,
        };
        Ok((Some(business), user))
    }

    /// Checks the password and opens a session: full, or half-signed-in when the second
    /// factor or an enrolment is still to come.
    pub async fn sign_in(
        &self,
        ctx: &RequestContext,
        slug: &str,
        email: &str,
        password: &str,
    ) -> Result<NewSession> {
        self.sign_in_with(ctx, slug, email, password, false).await
    }

    /// [`Gatehouse::sign_in`], where `require_mfa` asks for a second factor whatever the
    /// business's policy says (an application that requires MFA): a user without one
    /// enrols before the session is full.
    pub async fn sign_in_with(
        &self,
        ctx: &RequestContext,
        slug: &str,
        email: &str,
        password: &str,
        require_mfa: bool,
    ) -> Result<NewSession> {
        self.check_rate(ctx, Limited::SignIn).await?;
        let (business, user) = self.find_account(slug, email).await?;
        let Some(user) = user else {
            self.auth.hasher.verify(password, None).await?;
            if let Some(b) = business {
                self.audit_unknown_sign_in(ctx, &b, email).await?;
            }
            return Err(Error::SignInFailed);
        };
        let user = self.release_if_expired(ctx, user).await?;
        let reserved = if user.status == UserStatus::Active {
            self.reserve_attempt(&user).await?
        } else {
            None
        };
        let Some(reserved) = reserved else {
            // Not active, or waiting out a delay or a lock: the password is not even
            // looked at, but the time spent is the same.
            self.auth.hasher.verify(password, None).await?;
            let reason = match user.status {
                UserStatus::Active => "throttled",
                other => other.as_str(),
            };
            self.audit_refused_sign_in(ctx, &user, reason).await?;
            return Err(Error::SignInFailed);
        };
        if !self.password_matches(user.id, password).await? {
            self.record_failure(ctx, &user, reserved, "wrong_password")
                .await?;
            return Err(Error::SignInFailed);
        }
        let stage = self
            .stage_after_password(&user, self.now(), require_mfa)
            .await?;
        if stage != SessionStage::Full {
            // A correct password is no failure; the second factor still has to come.
            self.store
                .release_sign_in_attempt(user.id, reserved.epoch)
                .await?;
        }
        self.open_session(ctx, &user, stage).await
    }

    async fn audit_unknown_sign_in(
        &self,
        ctx: &RequestContext,
        business: &Business,
        email: &str,
    ) -> Result<()> {
        let now = self.now();
        let actor = Actor::system();
        let audit = Audit::new(now, Some(business.id), &actor, ctx);
        let label: String = email.trim().chars().take(254).collect();
        let event = audit.event(
            "auth.sign_in_failed",
            ("user", String::new(), label),
            None,
            Some(json!({ "reason": "unknown_user" })),
        );
        let tx = self.store.begin().await?;
        self.commit(tx, vec![event]).await
    }

    async fn audit_refused_sign_in(
        &self,
        ctx: &RequestContext,
        user: &User,
        reason: &str,
    ) -> Result<()> {
        let now = self.now();
        let actor = Actor::system();
        let audit = Audit::new(now, Some(user.business_id), &actor, ctx);
        let event = audit.event(
            "auth.sign_in_failed",
            user_target(user),
            None,
            Some(json!({ "reason": reason })),
        );
        let tx = self.store.begin().await?;
        self.commit(tx, vec![event]).await
    }
}
