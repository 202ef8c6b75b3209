//! Invitations: a pending user gets a single-use link; accepting it sets their password and
//! makes them active (then MFA enrolment, when the policy requires it). Administrators
//! resend (the old link dies) and revoke.

use serde_json::json;

use super::{NewSession, unusable};
use crate::Gatehouse;
use crate::audit::{AuditEvent, RequestContext};
use crate::auth::model::TokenState;
use crate::auth::{AuthToken, SecretToken, TokenKind};
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::mail::{Mail, MailMessage};
use crate::model::{Business, User, UserAction};
use crate::principal::{Actor, BusinessAccess, UsersManage};
use crate::services::{Audit, user_target};
use crate::store::StoreTx;
use crate::types::Slug;

/// What an invitation link leads to, for its page.
#[derive(Debug)]
pub struct InvitationView {
    pub state: TokenState,
    pub business: Option<Business>,
    pub user: Option<User>,
}

impl Gatehouse {
    /// Issues a new invitation for `user` in `tx` (voiding any earlier one): the mail to
    /// queue in the same transaction, and the audit event.
    pub(crate) async fn invite_in(
        &self,
        tx: &mut dyn StoreTx,
        user: &User,
        audit: &Audit<'_>,
    ) -> Result<(Mail, AuditEvent)> {
        let now = self.now();
        let business = tx
            .get_business(user.business_id)
            .await?
            .ok_or(Error::BusinessNotFound)?;
        let voided = tx
            .revoke_auth_tokens(Some(user.id), TokenKind::Invitation, now)
            .await?;
        let (mail, expires_at) = self.new_invitation(tx, &business, user).await?;
        let event = audit.event(
            "user.invitation_sent",
            user_target(user),
            None,
            Some(json!({ "expires_at": expires_at.unix_timestamp(), "voided_earlier": voided })),
        );
        Ok((mail, event))
    }

    /// Issues an invitation link for `user`, a member of `business`, who has none yet: the
    /// mail to queue in the same transaction, and when the link expires.
    pub(crate) async fn new_invitation(
        &self,
        tx: &mut dyn StoreTx,
        business: &Business,
        user: &User,
    ) -> Result<(Mail, time::OffsetDateTime)> {
        let (mail, token) = self.prepare_invitation(business, user)?;
        tx.insert_auth_token(&token).await?;
        Ok((mail, token.expires_at))
    }

    /// An invitation for `user` of `business`, not yet written: its mail and its token.
    pub(crate) fn prepare_invitation(
        &self,
        business: &Business,
        user: &User,
    ) -> Result<(Mail, AuthToken)> {
        let (token, stored) = self.prepare_token(
            TokenKind::Invitation,
            Some(user),
            self.auth.config.invitation_ttl,
        )?;
        let link = self.link(&format!(
            "/b/{}/invitation/{}",
            business.slug,
            token.encode()
        ));
        let mail = Mail {
            to: user.email.clone(),
            business: business.name.to_string(),
            message: MailMessage::Invitation {
                link,
                expires_at: stored.expires_at,
            },
        };
        Ok((mail, stored))
    }

    /// Sends a pending user a new invitation; the previous link stops working.
    pub async fn resend_invitation(
        &self,
        access: &BusinessAccess<UsersManage>,
        ctx: &RequestContext,
        id: UserId,
    ) -> Result<User> {
        let mut tx = self.store.begin().await?;
        let user = tx
            .get_user(access.business_id(), id)
            .await?
            .ok_or(Error::UserNotFound)?;
        if !user.allows(UserAction::ResendInvitation) {
            return Err(Error::UserNotPending);
        }
        let audit = Audit::new(self.now(), Some(user.business_id), access.actor(), ctx);
        let (mail, event) = self.invite_in(tx.as_mut(), &user, &audit).await?;
        self.enqueue_mail(tx.as_mut(), &user, mail).await?;
        self.commit(tx, vec![event]).await?;
        Ok(user)
    }

    /// Voids a pending user's invitation link. The user stays pending (deactivate them, or
    /// resend, as fits).
    pub async fn revoke_invitation(
        &self,
        access: &BusinessAccess<UsersManage>,
        ctx: &RequestContext,
        id: UserId,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let user = tx
            .get_user(access.business_id(), id)
            .await?
            .ok_or(Error::UserNotFound)?;
        let revoked = tx
            .revoke_auth_tokens(Some(id), TokenKind::Invitation, now)
            .await?;
        if revoked == 0 {
            return Err(Error::InvitationNotFound);
        }
        let audit = Audit::new(now, Some(user.business_id), access.actor(), ctx);
        let event = audit.event("user.invitation_revoked", user_target(&user), None, None);
        self.commit(tx, vec![event]).await
    }

    /// A token of `kind` as presented under the address of the business `slug` (`None`: a
    /// link of no business, the setup link), with its state (read only). A token of another
    /// business is unknown here: it works only under its own business's address.
    pub(crate) async fn look_up_token(
        &self,
        slug: Option<&str>,
        raw: &str,
        kind: TokenKind,
    ) -> Result<(TokenState, Option<AuthToken>)> {
        let Some(token) = SecretToken::parse(raw) else {
            return Ok((TokenState::Unknown, None));
        };
        let Some(found) = self.store.get_auth_token(&token.hash()).await? else {
            return Ok((TokenState::Unknown, None));
        };
        let business = match slug {
            Some(slug) => match Slug::parse(slug) {
                Ok(slug) => self.store.get_business_by_slug(&slug).await?.map(|b| b.id),
                Err(_) => return Ok((TokenState::Unknown, None)),
            },
            None => None,
        };
        if found.kind != kind || found.business_id != business {
            return Ok((TokenState::Unknown, None));
        }
        Ok((found.state(self.now()), Some(found)))
    }

    /// What an invitation link under the address of business `slug` leads to. Changes
    /// nothing (a GET).
    pub async fn invitation_view(&self, slug: &str, raw: &str) -> Result<InvitationView> {
        let (state, token) = self
            .look_up_token(Some(slug), raw, TokenKind::Invitation)
            .await?;
        let (business, user) = match token.and_then(|t| t.business_id.zip(t.user_id)) {
            Some((b, u)) => (
                self.store.get_business(b).await?,
                self.store.get_user(b, u).await?,
            ),
            None => (None, None),
        };
        Ok(InvitationView {
            state,
            business,
            user,
        })
    }

    /// Accepts an invitation: sets the password, activates the user and signs them in
    /// (into enrolment, when the MFA policy requires it now).
    pub async fn accept_invitation(
        &self,
        ctx: &RequestContext,
        slug: &str,
        raw: &str,
        password: &str,
    ) -> Result<NewSession> {
        let view = self.invitation_view(slug, raw).await?;
        let (Some(business), Some(user)) = (view.business, view.user) else {
            return Err(unusable(TokenState::Unknown));
        };
        if view.state != TokenState::Usable {
            return Err(unusable(view.state));
        }
        self.auth.config.password.check(
            password,
            user.email.local_part(),
            business.name.as_str(),
        )?;
        let hash = self.hash_password(password).await?;
        let now = self.now();
        let token = SecretToken::parse(raw).ok_or(unusable(TokenState::Unknown))?;
        let mut tx = self.store.begin().await?;
        if tx
            .consume_auth_token(&token.hash(), TokenKind::Invitation, now)
            .await?
            .is_none()
        {
            return Err(unusable(TokenState::Used));
        }
        tx.set_password_hash(user.id, Some(&hash)).await?;
        let actor = Actor::system();
        let audit = Audit::new(now, Some(business.id), &actor, ctx);
        let (user, activated) = self
            .activate_in(tx.as_mut(), business.id, user.id, &audit)
            .await?;
        let accepted = audit.event("user.invitation_accepted", user_target(&user), None, None);
        self.commit(tx, vec![accepted, activated]).await?;
        // The stage needs the committed state (a pending user holds nothing) and a time no
        // earlier than the activation it counts the grace period from.
        let stage = self.stage_after_password(&user, self.now(), false).await?;
        self.open_session(ctx, &user, stage).await
    }
}
