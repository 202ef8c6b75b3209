//! Users: invited as `pending`, edited, deactivated and reactivated by administrators.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{Audit, Gatehouse, Precondition};
use crate::audit::{AuditEvent, RequestContext};
use crate::auth::TokenKind;
use crate::error::{Error, Result};
use crate::ids::{BusinessId, GroupId, UserId};
use crate::model::{GroupRef, User, UserStatus};
use crate::oidc::grants::EndingSessions;
use crate::principal::{BusinessAccess, UsersManage, UsersView};
use crate::store::StoreTx;
use crate::types::{DisplayName, Email};

/// A user to invite.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub display_name: DisplayName,
    pub groups: Vec<GroupId>,
}

/// A partial update of a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub display_name: Option<DisplayName>,
    /// The complete new set of groups.
    pub groups: Option<Vec<GroupId>>,
}

pub(crate) fn target(u: &User) -> (&'static str, String, String) {
    ("user", u.id.to_string(), u.email.to_string())
}

pub(crate) fn audit_view(u: &User) -> Value {
    json!({
        "email": u.email,
        "display_name": u.display_name,
        "status": u.status,
        "groups": u.groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
    })
}

/// Resolves group ids of the business, refusing unknown ones and rights the caller lacks.
async fn resolve_groups<P>(
    tx: &mut dyn StoreTx,
    access: &BusinessAccess<P>,
    ids: &[GroupId],
    already: &[GroupRef],
) -> Result<Vec<GroupRef>> {
    let unique: BTreeSet<GroupId> = ids.iter().copied().collect();
    let mut groups = Vec::with_capacity(unique.len());
    for id in unique {
        let group = tx
            .get_group(access.business_id(), id)
            .await?
            .ok_or(Error::GroupNotFound)?;
        // Joining a group grants its rights: only someone holding them may add a member.
        if !already.iter().any(|g| g.id == id) {
            access.ensure_holds(&group.grants, &group.scope)?;
        }
        groups.push(GroupRef {
            id,
            name: group.name,
        });
    }
    groups.sort_by_key(|g| g.name.key());
    Ok(groups)
}

impl Gatehouse {
    /// Creates a `pending` user and mails them an invitation.
    pub async fn create_user(
        &self,
        access: &BusinessAccess<UsersManage>,
        ctx: &RequestContext,
        new: NewUser,
    ) -> Result<User> {
        let now = self.now();
        let business = access.business_id();
        let mut tx = self.store.begin().await?;
        let groups = resolve_groups(tx.as_mut(), access, &new.groups, &[]).await?;
        let user = User {
            id: UserId::new(now),
            business_id: business,
            email: new.email,
            display_name: new.display_name,
            status: UserStatus::Pending,
            mfa_enrolled: false,
            groups,
            activated_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        tx.insert_user(&user).await?;
        let ids: Vec<GroupId> = user.groups.iter().map(|g| g.id).collect();
        tx.set_user_groups(business, user.id, &ids, now).await?;
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let (mail, sent) = self.invite_in(tx.as_mut(), &user, &audit).await?;
        // One change, one event: the invitation is part of the creation.
        let mut after = audit_view(&user);
        after["invitation"] = sent.after.unwrap_or_default();
        let created = audit.event("user.created", target(&user), None, Some(after));
        self.enqueue_mail(tx.as_mut(), &user, mail).await?;
        self.commit(tx, vec![created]).await?;
        Ok(user)
    }

    pub async fn update_user(
        &self,
        access: &BusinessAccess<UsersManage>,
        ctx: &RequestContext,
        id: UserId,
        patch: UserPatch,
        pre: Precondition,
    ) -> Result<User> {
        let now = self.now();
        let business = access.business_id();
        let mut tx = self.store.begin().await?;
        let admins = super::auth::lock_and_count_admins(tx.as_mut(), business).await?;
        let before = tx
            .get_user(business, id)
            .await?
            .ok_or(Error::UserNotFound)?;
        pre.check(before.version)?;
        let mut after = before.clone();
        if let Some(name) = patch.display_name {
            after.display_name = name;
        }
        if let Some(ids) = &patch.groups {
            after.groups = resolve_groups(tx.as_mut(), access, ids, &before.groups).await?;
        }
        if after == before {
            return Ok(before);
        }
        after.version = before.version + 1;
        after.updated_at = now;
        tx.update_user(&after, before.version).await?;
        if after.groups != before.groups {
            let ids: Vec<GroupId> = after.groups.iter().map(|g| g.id).collect();
            tx.set_user_groups(business, id, &ids, now).await?;
            super::auth::ensure_admin_remains(tx.as_mut(), business, admins).await?;
        }
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let event = audit.event(
            "user.updated",
            target(&after),
            Some(audit_view(&before)),
            Some(audit_view(&after)),
        );
        self.commit(tx, vec![event]).await?;
        Ok(after)
    }

    /// Ends the user's access at once: status, every session, any pending invitation.
    /// Refused if it would leave the business without an active administrator.
    pub async fn deactivate_user(
        &self,
        access: &BusinessAccess<UsersManage>,
        ctx: &RequestContext,
        id: UserId,
        pre: Precondition,
    ) -> Result<User> {
        self.set_user_status(
            access,
            ctx,
            id,
            pre,
            "user.deactivated",
            |status| match status {
                UserStatus::Deactivated => Err(Error::UserStatusUnchanged("deactivated")),
                _ => Ok(UserStatus::Deactivated),
            },
        )
        .await
    }

    /// Gives a deactivated user their access back: `active` if they had accepted their
    /// invitation, `pending` otherwise.
    pub async fn reactivate_user(
        &self,
        access: &BusinessAccess<UsersManage>,
        ctx: &RequestContext,
        id: UserId,
        pre: Precondition,
    ) -> Result<User> {
        self.set_user_status(
            access,
            ctx,
            id,
            pre,
            "user.reactivated",
            |status| match status {
                UserStatus::Deactivated => Ok(UserStatus::Active),
                UserStatus::Pending | UserStatus::Active | UserStatus::Locked => {
                    Err(Error::UserStatusUnchanged("active"))
                }
            },
        )
        .await
    }

    async fn set_user_status(
        &self,
        access: &BusinessAccess<UsersManage>,
        ctx: &RequestContext,
        id: UserId,
        pre: Precondition,
        action: &str,
        next: impl Fn(UserStatus) -> Result<UserStatus> + Send,
    ) -> Result<User> {
        let now = self.now();
        let business = access.business_id();
        let mut tx = self.store.begin().await?;
        let admins = super::auth::lock_and_count_admins(tx.as_mut(), business).await?;
        let before = tx
            .get_user(business, id)
            .await?
            .ok_or(Error::UserNotFound)?;
        pre.check(before.version)?;
        if before.email.is_deprovisioned() {
            return Err(Error::UserDeprovisioned);
        }
        let mut status = next(before.status)?;
        if status == UserStatus::Active && before.activated_at.is_none() {
            status = UserStatus::Pending;
        }
        let after = User {
            status,
            version: before.version + 1,
            updated_at: now,
            ..before.clone()
        };
        tx.update_user(&after, before.version).await?;
        let mut ended = json!(null);
        if status == UserStatus::Deactivated {
            ended = self.end_access_in(tx.as_mut(), business, id).await?;
        }
        super::auth::ensure_admin_remains(tx.as_mut(), business, admins).await?;
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let event = audit.event(
            action,
            target(&after),
            Some(json!({ "status": before.status })),
            Some(json!({ "status": after.status, "ended": ended })),
        );
        self.commit(tx, vec![event]).await?;
        Ok(after)
    }

    /// Ends a deactivated user's access at once, in `tx`: every session, any invitation or
    /// password reset still out. What ended, for the audit event.
    pub(crate) async fn end_access_in(
        &self,
        tx: &mut dyn StoreTx,
        business: BusinessId,
        id: UserId,
    ) -> Result<Value> {
        let now = self.now();
        let all = EndingSessions::OfUser {
            user: id,
            keep: None,
        };
        let sessions = self.end_sessions(tx, business, all).await?;
        let invitations = tx
            .revoke_auth_tokens(Some(id), TokenKind::Invitation, now)
            .await?;
        tx.revoke_auth_tokens(Some(id), TokenKind::PasswordReset, now)
            .await?;
        Ok(json!({ "sessions_ended": sessions, "invitations_revoked": invitations }))
    }

    pub async fn get_user(&self, access: &BusinessAccess<UsersView>, id: UserId) -> Result<User> {
        self.store
            .get_user(access.business_id(), id)
            .await?
            .ok_or(Error::UserNotFound)
    }

    /// Makes a pending user active, as accepting the invitation does, without the password:
    /// for tests and benchmarks only (feature `testing`), as it needs no proof.
    #[cfg(any(test, feature = "testing"))]
    pub async fn activate_user(
        &self,
        ctx: &RequestContext,
        business: BusinessId,
        id: UserId,
    ) -> Result<User> {
        let mut tx = self.store.begin().await?;
        let actor = crate::principal::Actor::system();
        let audit = Audit::new(self.now(), Some(business), &actor, ctx);
        let (after, event) = self.activate_in(tx.as_mut(), business, id, &audit).await?;
        self.commit(tx, vec![event]).await?;
        Ok(after)
    }

    /// [`Gatehouse::activate_user`] inside a transaction: the user and the event to commit.
    pub(crate) async fn activate_in(
        &self,
        tx: &mut dyn StoreTx,
        business: BusinessId,
        id: UserId,
        audit: &Audit<'_>,
    ) -> Result<(User, AuditEvent)> {
        let now = self.now();
        let before = tx
            .get_user(business, id)
            .await?
            .ok_or(Error::UserNotFound)?;
        if before.status != UserStatus::Pending {
            return Err(Error::UserStatusUnchanged("active"));
        }
        let after = User {
            status: UserStatus::Active,
            activated_at: Some(now),
            version: before.version + 1,
            updated_at: now,
            ..before.clone()
        };
        tx.update_user(&after, before.version).await?;
        let event = audit.event(
            "user.activated",
            target(&after),
            Some(json!({ "status": before.status })),
            Some(json!({ "status": after.status })),
        );
        Ok((after, event))
    }

    /// Records whether the user has a confirmed second factor without an enrolment: for
    /// tests and benchmarks only (feature `testing`), as it needs no proof.
    #[cfg(any(test, feature = "testing"))]
    pub async fn set_mfa_enrolled(
        &self,
        ctx: &RequestContext,
        business: BusinessId,
        id: UserId,
        enrolled: bool,
    ) -> Result<User> {
        let mut tx = self.store.begin().await?;
        let actor = crate::principal::Actor::system();
        let audit = Audit::new(self.now(), Some(business), &actor, ctx);
        let (after, event) = self
            .set_mfa_enrolled_in(tx.as_mut(), business, id, enrolled, &audit)
            .await?;
        self.commit(tx, vec![event]).await?;
        Ok(after)
    }

    /// [`Gatehouse::set_mfa_enrolled`] inside a transaction.
    pub(crate) async fn set_mfa_enrolled_in(
        &self,
        tx: &mut dyn StoreTx,
        business: BusinessId,
        id: UserId,
        enrolled: bool,
        audit: &Audit<'_>,
    ) -> Result<(User, AuditEvent)> {
        let now = self.now();
        let before = tx
            .get_user(business, id)
            .await?
            .ok_or(Error::UserNotFound)?;
        let after = User {
            mfa_enrolled: enrolled,
            version: before.version + 1,
            updated_at: now,
            ..before.clone()
        };
        tx.update_user(&after, before.version).await?;
        let action = if enrolled {
            "user.mfa_enrolled"
        } else {
            "user.mfa_reset"
        };
        let event = audit.event(
            action,
            target(&after),
            Some(json!({ "mfa_enrolled": before.mfa_enrolled })),
            Some(json!({ "mfa_enrolled": enrolled })),
        );
        Ok((after, event))
    }
}
