//! Passwords: changing one's own (the current one required; other sessions end), and the
//! reset by emailed link, asked for by the user ("forgot password", same answer whether
//! the account exists or not) or by an administrator.

use serde_json::json;

use super::limits::Limited;
use super::sessions::self_actor;
use super::unusable;
use crate::Gatehouse;
use crate::audit::{AuditEvent, RequestContext};
use crate::auth::model::TokenState;
use crate::auth::{SecretToken, Session, SessionStage, TokenKind};
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::mail::{Mail, MailMessage};
use crate::model::{Business, User, UserStatus};
use crate::oidc::grants::EndingSessions;
use crate::principal::Actor;
use crate::services::{Audit, user_target};
use crate::store::StoreTx;

impl Gatehouse {
    /// Whether `password` is the user's stored password. A user without one (invited, or
    /// reset by an administrator) matches nothing, after the same argon2 work.
    pub(crate) async fn password_matches(&self, user: UserId, password: &str) -> Result<bool> {
        let creds = self.store.get_credentials(user).await?.unwrap_or_default();
        self.auth
            .hasher
            .verify(password, creds.password_hash.as_deref())
            .await
    }

    /// Checks a new password against the policy for this user.
    pub(crate) async fn check_new_password(&self, user: &User, password: &str) -> Result<()> {
        let business = self
            .store
            .get_business(user.business_id)
            .await?
            .ok_or(Error::BusinessNotFound)?;
        self.auth
            .config
            .password
            .check(password, user.email.local_part(), business.name.as_str())
    }

    /// Changes the signed-in user's password; their other sessions end.
    pub async fn change_password(
        &self,
        ctx: &RequestContext,
        session: &Session,
        current: &str,
        new: &str,
    ) -> Result<()> {
        if session.stage != SessionStage::Full {
            return Err(Error::Unauthenticated);
        }
        let user = self.session_user(session).await?;
        if !self.password_matches(user.id, current).await? {
            return Err(Error::CurrentPasswordIncorrect);
        }
        self.check_new_password(&user, new).await?;
        let hash = self.hash_password(new).await?;
        let mut tx = self.store.begin().await?;
        tx.set_password_hash(user.id, Some(&hash)).await?;
        let keep = EndingSessions::OfUser {
            user: user.id,
            keep: Some(session.id),
        };
        let ended = self
            .end_sessions(tx.as_mut(), user.business_id, keep)
            .await?;
        let actor = self_actor(&user);
        let audit = Audit::new(self.now(), Some(user.business_id), &actor, ctx);
        let event = audit.event(
            "auth.password_changed",
            user_target(&user),
            None,
            Some(json!({ "other_sessions_ended": ended })),
        );
        self.mail_user(tx.as_mut(), &user, MailMessage::PasswordChanged)
            .await?;
        self.commit(tx, vec![event]).await?;
        Ok(())
    }

    /// "Forgot password": mails a reset link if the account exists and may sign in. The
    /// answer is the same either way, and so is the work done before it: only the rate limit
    /// is counted in the request; looking the account up and issuing the link happen after
    /// the answer, so its timing cannot tell whether the account exists.
    pub async fn request_password_reset(
        &self,
        ctx: &RequestContext,
        slug: &str,
        email: &str,
    ) -> Result<()> {
        self.check_rate(ctx, Limited::PasswordReset).await?;
        let gh = self.clone();
        let (ctx, slug, email) = (ctx.clone(), slug.to_owned(), email.to_owned());
        tokio::spawn(async move {
            if let Err(e) = gh.issue_password_reset(&ctx, &slug, &email).await {
                tracing::error!(error = %e, code = e.code(), "password reset request failed");
            }
        });
        Ok(())
    }

    /// The work of a "forgot password" request, after its answer.
    async fn issue_password_reset(
        &self,
        ctx: &RequestContext,
        slug: &str,
        email: &str,
    ) -> Result<()> {
        let (business, user) = self.find_account(slug, email).await?;
        let (Some(business), Some(user)) = (business, user) else {
            return Ok(());
        };
        if !matches!(user.status, UserStatus::Active | UserStatus::Locked) {
            return Ok(());
        }
        let mut tx = self.store.begin().await?;
        let actor = Actor::system();
        let audit = Audit::new(self.now(), Some(business.id), &actor, ctx);
        let (mail, event) = self
            .reset_link_in(tx.as_mut(), &business, &user, false, &audit)
            .await?;
        self.enqueue_mail(tx.as_mut(), &user, mail).await?;
        self.commit(tx, vec![event]).await?;
        Ok(())
    }

    /// Issues a reset token in `tx`, voiding older ones: the mail and the audit event.
    pub(crate) async fn reset_link_in(
        &self,
        tx: &mut dyn StoreTx,
        business: &Business,
        user: &User,
        by_admin: bool,
        audit: &Audit<'_>,
    ) -> Result<(Mail, AuditEvent)> {
        let now = self.now();
        tx.revoke_auth_tokens(Some(user.id), TokenKind::PasswordReset, now)
            .await?;
        let (token, expires_at) = self
            .issue_token(
                tx,
                TokenKind::PasswordReset,
                Some(user),
                self.auth.config.reset_ttl,
            )
            .await?;
        let link = self.link(&format!(
            "/b/{}/reset-password/{}",
            business.slug,
            token.encode()
        ));
        let mail = Mail {
            to: user.email.clone(),
            business: business.name.to_string(),
            message: MailMessage::PasswordReset {
                link,
                expires_at,
                by_admin,
            },
        };
        let action = if by_admin {
            "user.password_reset_by_admin"
        } else {
            "auth.password_reset_requested"
        };
        let event = audit.event(
            action,
            user_target(user),
            None,
            Some(json!({ "expires_at": expires_at.unix_timestamp() })),
        );
        Ok((mail, event))
    }

    /// What a reset link leads to: its state and whose password it sets (for its page, which
    /// names the account for the person and their password manager; changes nothing).
    /// Like invitations, a reset link works only under its own business's address.
    pub async fn password_reset_view(
        &self,
        slug: &str,
        raw: &str,
    ) -> Result<super::InvitationView> {
        let (state, token) = self
            .look_up_token(Some(slug), raw, TokenKind::PasswordReset)
            .await?;
        let (business, user) = match token.and_then(|t| t.business_id.zip(t.user_id)) {
            Some((b, u)) => (
                self.store.get_business(b).await?,
                self.store.get_user(b, u).await?,
            ),
            None => (None, None),
        };
        Ok(super::InvitationView {
            state,
            business,
            user,
        })
    }

    /// Sets a new password with a reset link. Every session of the user ends, a lock from
    /// failed attempts lifts (the link proves the mailbox); the second factor stays, so the
    /// next sign-in still asks for it.
    pub async fn reset_password(
        &self,
        ctx: &RequestContext,
        slug: &str,
        raw: &str,
        new: &str,
    ) -> Result<()> {
        self.check_rate(ctx, Limited::PasswordReset).await?;
        let (state, token) = self
            .look_up_token(Some(slug), raw, TokenKind::PasswordReset)
            .await?;
        let Some((business, id)) = token.and_then(|t| t.business_id.zip(t.user_id)) else {
            return Err(unusable(TokenState::Unknown));
        };
        if state != TokenState::Usable {
            return Err(unusable(state));
        }
        let user = self
            .store
            .get_user(business, id)
            .await?
            .ok_or(unusable(TokenState::Unknown))?;
        self.check_new_password(&user, new).await?;
        let hash = self.hash_password(new).await?;
        let now = self.now();
        let secret = SecretToken::parse(raw).ok_or(unusable(TokenState::Unknown))?;
        let mut tx = self.store.begin().await?;
        if tx
            .consume_auth_token(&secret.hash(), TokenKind::PasswordReset, now)
            .await?
            .is_none()
        {
            return Err(unusable(TokenState::Used));
        }
        tx.lock_credentials(id).await?;
        let current = tx
            .get_user(business, id)
            .await?
            .ok_or(Error::UserNotFound)?;
        if !matches!(current.status, UserStatus::Active | UserStatus::Locked) {
            return Err(unusable(TokenState::Revoked));
        }
        if current.status == UserStatus::Locked {
            let unlocked = User {
                status: UserStatus::Active,
                version: current.version + 1,
                updated_at: now,
                ..current.clone()
            };
            tx.update_user(&unlocked, current.version).await?;
        }
        tx.set_password_hash(id, Some(&hash)).await?;
        tx.reset_sign_in_failures(id).await?;
        let all = EndingSessions::OfUser {
            user: id,
            keep: None,
        };
        let ended = self.end_sessions(tx.as_mut(), business, all).await?;
        let actor = Actor::system();
        let audit = Audit::new(now, Some(business), &actor, ctx);
        let event = audit.event(
            "auth.password_reset",
            user_target(&user),
            Some(json!({ "status": current.status })),
            Some(json!({ "sessions_ended": ended })),
        );
        self.mail_user(tx.as_mut(), &user, MailMessage::PasswordChanged)
            .await?;
        self.commit(tx, vec![event]).await?;
        Ok(())
    }
}
