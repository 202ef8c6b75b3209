//! Provisioning users: create (with an invitation, or waiting), replace, PATCH, deprovision,
//! read and list. Each change is one transaction with its audit events; deactivation ends
//! access as the administrators' does; the last administrator is kept.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::list::{ListPage, ListQuery};
use super::patch::{PatchOp, apply_user};
use super::resource::{ScimUserExtras, UserInput, read_patched_user};
use super::schema::Resource;
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{Error, Result};
use crate::ids::{BusinessId, UserId};
use crate::model::{User, UserStatus};
use crate::principal::{BusinessAccess, ScimProvision};
use crate::services::auth::{ensure_admin_remains, lock_and_count_admins};
use crate::services::{Audit, Gatehouse, Precondition, user_audit_view, user_target};
use crate::store::{StoreTx, UserFilter};
use crate::types::{DisplayName, Email};

/// A provisioned user as SCIM shows it.
#[derive(Debug, Clone)]
pub struct ScimUser {
    pub user: User,
    pub extras: ScimUserExtras,
}

impl ScimUser {
    pub fn render(&self, base: &str) -> Value {
        super::render::user(base, &self.user, &self.extras)
    }
}

fn audit_view(user: &User, extras: &ScimUserExtras) -> Value {
    let mut v = user_audit_view(user);
    v["external_id"] = json!(extras.external_id);
    v
}

/// A user of the business that SCIM may see: not another business's, not deprovisioned.
async fn visible(tx: &mut dyn StoreTx, business: BusinessId, id: UserId) -> Result<User> {
    tx.get_user(business, id)
        .await?
        .filter(|u| !u.email.is_deprovisioned())
        .ok_or(Error::UserNotFound)
}

impl Gatehouse {
    /// The SCIM root URL (`…/scim/v2`), for `meta.location` and `$ref`.
    pub fn scim_base(&self) -> String {
        self.link("/scim/v2")
    }

    pub async fn scim_get_user(
        &self,
        access: &BusinessAccess<ScimProvision>,
        id: UserId,
    ) -> Result<ScimUser> {
        let business = access.business_id();
        let user = self
            .store()
            .get_user(business, id)
            .await?
            .filter(|u| !u.email.is_deprovisioned())
            .ok_or(Error::UserNotFound)?;
        let extras = self
            .store()
            .get_scim_user(business, id)
            .await?
            .unwrap_or_default();
        Ok(ScimUser { user, extras })
    }

    /// Creates a user: `pending` with an invitation (or, if the business's provisioning
    /// waits, without one), or `deactivated` if created inactive.
    pub async fn scim_create_user(
        &self,
        access: &BusinessAccess<ScimProvision>,
        ctx: &RequestContext,
        input: UserInput,
    ) -> Result<ScimUser> {
        let now = self.now();
        let business = access.business_id();
        let settings = self.store().get_scim_settings(business).await?;
        let mut tx = self.store().begin().await?;
        let user = User {
            id: UserId::new(now),
            business_id: business,
            email: input.email,
            display_name: input.display_name,
            status: if input.active {
                UserStatus::Pending
            } else {
                UserStatus::Deactivated
            },
            mfa_enrolled: false,
            groups: Vec::new(),
            activated_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        tx.insert_user(&user).await?;
        tx.put_scim_user(business, user.id, &input.extras).await?;
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let mut after = audit_view(&user, &input.extras);
        after["provisioned"] = json!(true);
        if input.active && settings.invite {
            let (mail, sent) = self.invite_in(tx.as_mut(), &user, &audit).await?;
            after["invitation"] = sent.after.unwrap_or_default();
            self.enqueue_mail(tx.as_mut(), &user, mail).await?;
        }
        let created = audit.event("user.created", user_target(&user), None, Some(after));
        self.commit(tx, vec![created]).await?;
        Ok(ScimUser {
            user,
            extras: input.extras,
        })
    }

    /// Replaces a user's attributes (PUT).
    pub async fn scim_replace_user(
        &self,
        access: &BusinessAccess<ScimProvision>,
        ctx: &RequestContext,
        id: UserId,
        input: UserInput,
        pre: Precondition,
    ) -> Result<ScimUser> {
        self.scim_write_user(access, ctx, id, pre, |_, _| Ok(input))
            .await
    }

    /// Applies PATCH operations, all or none.
    pub async fn scim_patch_user(
        &self,
        access: &BusinessAccess<ScimProvision>,
        ctx: &RequestContext,
        id: UserId,
        ops: &[PatchOp],
        pre: Precondition,
    ) -> Result<ScimUser> {
        let base = self.scim_base();
        self.scim_write_user(access, ctx, id, pre, |user, extras| {
            let mut doc = super::render::user(&base, user, extras);
            apply_user(&mut doc, ops)?;
            read_patched_user(&doc)
        })
        .await
    }

    async fn scim_write_user(
        &self,
        access: &BusinessAccess<ScimProvision>,
        ctx: &RequestContext,
        id: UserId,
        pre: Precondition,
        change: impl FnOnce(&User, &ScimUserExtras) -> Result<UserInput> + Send,
    ) -> Result<ScimUser> {
        let now = self.now();
        let business = access.business_id();
        let (mut tx, admins, before, before_extras) = self.open_user(business, id, pre).await?;
        let input = change(&before, &before_extras)?;
        let mut after = before.clone();
        after.display_name = input.display_name;
        after.email = input.email;
        let deactivating = !input.active && before.status != UserStatus::Deactivated;
        let reactivating = input.active && before.status == UserStatus::Deactivated;
        if deactivating {
            after.status = UserStatus::Deactivated;
        } else if reactivating {
            after.status = if before.activated_at.is_some() {
                UserStatus::Active
            } else {
                UserStatus::Pending
            };
        }
        if after == before && input.extras == before_extras {
            return Ok(ScimUser {
                user: before,
                extras: before_extras,
            });
        }
        after.version = before.version + 1;
        after.updated_at = now;
        tx.update_user(&after, before.version).await?;
        if after.email != before.email {
            tx.set_user_email(business, id, &after.email).await?;
        }
        tx.put_scim_user(business, id, &input.extras).await?;
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let mut events: Vec<AuditEvent> = Vec::new();
        let (view_before, view_after) = (
            audit_view(&before, &before_extras),
            audit_view(&after, &input.extras),
        );
        let target = user_target(&after);
        if view_before != view_after {
            events.push(audit.event(
                "user.updated",
                target.clone(),
                Some(view_before),
                Some(view_after),
            ));
        }
        if deactivating {
            let ended = self.end_access_in(tx.as_mut(), business, id).await?;
            events.push(audit.event(
                "user.deactivated",
                target.clone(),
                Some(json!({ "status": before.status })),
                Some(json!({ "status": after.status, "ended": ended })),
            ));
        } else if reactivating {
            events.push(audit.event(
                "user.reactivated",
                target.clone(),
                Some(json!({ "status": before.status })),
                Some(json!({ "status": after.status })),
            ));
        }
        ensure_admin_remains(tx.as_mut(), business, admins).await?;
        if events.is_empty() {
            events.push(audit.event("user.updated", target, None, None));
        }
        self.commit(tx, events).await?;
        Ok(ScimUser {
            user: after,
            extras: input.extras,
        })
    }

    /// The start of every change of a provisioned user: its extras, a transaction holding
    /// the business lock (for the last-administrator rule) and its administrators' count,
    /// the user as it is, the precondition checked.
    async fn open_user(
        &self,
        business: BusinessId,
        id: UserId,
        pre: Precondition,
    ) -> Result<(Box<dyn StoreTx>, i64, User, ScimUserExtras)> {
        let extras = self
            .store()
            .get_scim_user(business, id)
            .await?
            .unwrap_or_default();
        let mut tx = self.store().begin().await?;
        let admins = lock_and_count_admins(tx.as_mut(), business).await?;
        let before = visible(tx.as_mut(), business, id).await?;
        pre.check(before.version)?;
        Ok((tx, admins, before, extras))
    }

    /// Deprovisions a user (`DELETE`): access ends at once, memberships go, the address is
    /// freed and the account can never sign in or come back; the audit log keeps who it was.
    pub async fn scim_delete_user(
        &self,
        access: &BusinessAccess<ScimProvision>,
        ctx: &RequestContext,
        id: UserId,
        pre: Precondition,
    ) -> Result<()> {
        let now = self.now();
        let business = access.business_id();
        let (mut tx, admins, before, extras) = self.open_user(business, id, pre).await?;
        let ended = self.end_access_in(tx.as_mut(), business, id).await?;
        tx.set_user_groups(business, id, &[], now).await?;
        let after = User {
            status: UserStatus::Deactivated,
            email: Email::deprovisioned(&id),
            display_name: DisplayName::parse("")?,
            groups: Vec::new(),
            version: before.version + 1,
            updated_at: now,
            ..before.clone()
        };
        tx.update_user(&after, before.version).await?;
        tx.set_user_email(business, id, &after.email).await?;
        tx.delete_scim_user(business, id).await?;
        ensure_admin_remains(tx.as_mut(), business, admins).await?;
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let event = audit.event(
            "user.deprovisioned",
            user_target(&before),
            Some(audit_view(&before, &extras)),
            Some(json!({ "status": after.status, "ended": ended })),
        );
        self.commit(tx, vec![event]).await
    }

    /// Lists users. `userName eq` and `externalId eq` (what Okta and Entra ask before
    /// creating) read by index; other filters are evaluated over the business's users.
    pub async fn scim_list_users(
        &self,
        access: &BusinessAccess<ScimProvision>,
        query: &ListQuery,
    ) -> Result<ListPage> {
        let business = access.business_id();
        let base = self.scim_base();
        let users: Vec<User> = if let Some(name) = query.equality("userName") {
            match Email::parse(&name) {
                Ok(email) => self
                    .store()
                    .get_user_by_email(business, &email)
                    .await?
                    .into_iter()
                    .collect(),
                Err(_) => Vec::new(),
            }
        } else if let Some(ext) = query.equality("externalId") {
            let ids = self
                .store()
                .find_scim_users_by_external_id(business, &ext)
                .await?;
            self.store().get_users(business, &ids).await?
        } else {
            self.all_users(business).await?
        };
        let extras: HashMap<UserId, ScimUserExtras> = if users.len() > 1 {
            self.store()
                .list_scim_users(business)
                .await?
                .into_iter()
                .collect()
        } else {
            let mut one = HashMap::new();
            for u in &users {
                if let Some(e) = self.store().get_scim_user(business, u.id).await? {
                    one.insert(u.id, e);
                }
            }
            one
        };
        let docs = users
            .iter()
            .filter(|u| !u.email.is_deprovisioned())
            .map(|u| {
                let e = extras.get(&u.id).cloned().unwrap_or_default();
                super::render::user(&base, u, &e)
            })
            .collect();
        query.run(Resource::User, docs)
    }

    /// Every user of the business, read page by page in email order.
    pub(crate) async fn all_users(&self, business: BusinessId) -> Result<Vec<User>> {
        self.users_where(business, &UserFilter::default()).await
    }

    pub(crate) async fn users_where(
        &self,
        business: BusinessId,
        filter: &UserFilter,
    ) -> Result<Vec<User>> {
        const PAGE: u32 = 1000;
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let (page, _) = self
                .store()
                .list_users(business, filter, after.as_deref(), PAGE)
                .await?;
            let last = page.last().map(|u| u.email.to_string());
            let full = page.len() == PAGE as usize;
            all.extend(page);
            match last {
                Some(last) if full => after = Some(last),
                _ => return Ok(all),
            }
        }
    }
}
