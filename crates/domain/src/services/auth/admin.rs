//! What administrators do to an account besides editing it: reset its second factor or its
//! password, unlock it. And the rule they all keep: the business never loses its last
//! active administrator (a user holding [`ADMINISTRATOR_PERMISSIONS`]).

use serde_json::json;

use crate::Gatehouse;
use crate::audit::RequestContext;
use crate::error::{Error, Result};
use crate::ids::{BusinessId, UserId};
use crate::mail::MailMessage;
use crate::model::{User, UserAction};
use crate::oidc::grants::EndingSessions;
use crate::principal::{BusinessAccess, UsersManage};
use crate::services::Audit;
use crate::store::StoreTx;

/// What makes an administrator: with both, a user can manage everyone and every group.
pub const ADMINISTRATOR_PERMISSIONS: [&str; 2] = ["users.manage", "groups.manage"];

async fn count_admins(
    tx: &mut dyn StoreTx,
    business: BusinessId,
    except: Option<UserId>,
) -> Result<i64> {
    tx.count_active_holders(business, &ADMINISTRATOR_PERMISSIONS, except)
        .await
}

/// Locks the business (see [`StoreTx::lock_business`]) and counts its active
/// administrators: the first step of every change that could remove the last one, before it
/// reads or writes anything else.
pub(crate) async fn lock_and_count_admins(
    tx: &mut dyn StoreTx,
    business: BusinessId,
) -> Result<i64> {
    tx.lock_business(business).await?;
    count_admins(tx, business, None).await
}

/// Fails if a change took the business from having an active administrator (`before`
/// of them, from [`lock_and_count_admins`]) to having none. Run inside the change's
/// transaction, on its would-be state.
pub(crate) async fn ensure_admin_remains(
    tx: &mut dyn StoreTx,
    business: BusinessId,
    before: i64,
) -> Result<()> {
    if before > 0 && count_admins(tx, business, None).await? == 0 {
        return Err(Error::LastAdministrator);
    }
    Ok(())
}

/// Fails if `user` is the business's only active administrator: resetting their
/// credentials would leave nobody able to administer it.
async fn ensure_not_sole_admin(
    tx: &mut dyn StoreTx,
    business: BusinessId,
    user: UserId,
) -> Result<()> {
    let all = lock_and_count_admins(tx, business).await?;
    if all > 0 && count_admins(tx, business, Some(user)).await? == 0 {
        return Err(Error::LastAdministrator);
    }
    Ok(())
}

impl Gatehouse {
    /// Clears the user's TOTP, passkeys and recovery codes and ends their sessions; they enrol again
    /// at their next sign-in if the policy requires it. The user is mailed.
    pub async fn reset_user_mfa(
        &self,
        access: &BusinessAccess<UsersManage>,
        ctx: &RequestContext,
        id: UserId,
    ) -> Result<User> {
        let business = access.business_id();
        let mut tx = self.store.begin().await?;
        let user = tx
            .get_user(business, id)
            .await?
            .ok_or(Error::UserNotFound)?;
        ensure_not_sole_admin(tx.as_mut(), business, id).await?;
        tx.set_totp(id, None, None).await?;
        tx.replace_recovery_codes(id, &[], self.now()).await?;
        let passkeys = tx.delete_user_passkeys(business, id).await?;
        let all = EndingSessions::OfUser {
            user: id,
            keep: None,
        };
        let ended = self.end_sessions(tx.as_mut(), business, all).await?;
        let audit = Audit::new(self.now(), Some(business), access.actor(), ctx);
        let (after, mut events) = self
            .mark_mfa_enrolled(tx.as_mut(), &user, false, &audit)
            .await?;
        for e in &mut events {
            e.after = Some(json!({
                "mfa_enrolled": false,
                "passkeys_removed": passkeys,
                "sessions_ended": ended,
            }));
        }
        self.mail_user(tx.as_mut(), &after, MailMessage::MfaReset)
            .await?;
        self.commit(tx, events).await?;
        Ok(after)
    }

    /// Mails the user a reset link (the administrator never sees it), clears the current
    /// password and ends the user's sessions.
    pub async fn reset_user_password(
        &self,
        access: &BusinessAccess<UsersManage>,
        ctx: &RequestContext,
        id: UserId,
    ) -> Result<User> {
        let business_id = access.business_id();
        let mut tx = self.store.begin().await?;
        let user = tx
            .get_user(business_id, id)
            .await?
            .ok_or(Error::UserNotFound)?;
        if !user.allows(UserAction::ResetPassword) {
            return Err(Error::UserStatusUnchanged(user.status.as_str()));
        }
        ensure_not_sole_admin(tx.as_mut(), business_id, id).await?;
        let business = tx
            .get_business(business_id)
            .await?
            .ok_or(Error::BusinessNotFound)?;
        tx.set_password_hash(id, None).await?;
        let all = EndingSessions::OfUser {
            user: id,
            keep: None,
        };
        let ended = self.end_sessions(tx.as_mut(), business_id, all).await?;
        let audit = Audit::new(self.now(), Some(business_id), access.actor(), ctx);
        let (mail, mut event) = self
            .reset_link_in(tx.as_mut(), &business, &user, true, &audit)
            .await?;
        if let Some(after) = event.after.as_mut() {
            after["sessions_ended"] = json!(ended);
        }
        self.enqueue_mail(tx.as_mut(), &user, mail).await?;
        self.commit(tx, vec![event]).await?;
        Ok(user)
    }

    /// Ends every refusal state of the account before it runs out: a lock, failures counted,
    /// a delay. 409 when there is none.
    pub async fn unlock_user(
        &self,
        access: &BusinessAccess<UsersManage>,
        ctx: &RequestContext,
        id: UserId,
    ) -> Result<User> {
        let user = self
            .store
            .get_user(access.business_id(), id)
            .await?
            .ok_or(Error::UserNotFound)?;
        self.unlock(
            ctx,
            access.actor(),
            &user,
            "unlocked by an administrator",
            false,
        )
        .await?
        .ok_or(Error::UserStatusUnchanged("unlocked"))
    }
}
