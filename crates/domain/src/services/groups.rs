//! Groups: the RBAC unit. Business groups cover every tenant, tenants groups an explicit set;
//! each grants permissions per environment, business groups also administration rights.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::group_plan::{granted_by_change, group_scope};
use super::{Audit, Gatehouse, Precondition};
use crate::audit::RequestContext;
use crate::error::{Error, Result};
use crate::grants::Grants;
use crate::ids::{BusinessId, GroupId, TenantId, UserId};
use crate::model::{Group, GroupKind, GroupScope, User};
use crate::page::Page;
use crate::principal::{BusinessAccess, GroupsManage, UsersView};
use crate::store::{MemberUntil, StoreTx, UserFilter};
use crate::types::{Description, GroupName};

/// A group to create.
#[derive(Debug, Clone)]
pub struct NewGroup {
    pub name: GroupName,
    pub description: Description,
    pub kind: GroupKind,
    pub tenants: Vec<TenantId>,
    pub grants: Grants,
    /// The caller confirms granting sensitive permissions.
    pub acknowledge_sensitive: bool,
}

/// A partial update of a group; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct GroupPatch {
    pub name: Option<GroupName>,
    pub description: Option<Description>,
    pub kind: Option<GroupKind>,
    pub tenants: Option<Vec<TenantId>>,
    pub grants: Option<Grants>,
    /// The caller confirms granting sensitive permissions.
    pub acknowledge_sensitive: bool,
}

fn target(g: &Group) -> (&'static str, String, String) {
    ("group", g.id.to_string(), g.name.to_string())
}

fn audit_view(g: &Group) -> Value {
    json!({
        "name": g.name,
        "description": g.description,
        "type": g.scope.kind(),
        "tenant_ids": g.scope.tenant_ids(),
        "permissions": g.grants,
    })
}

/// Removes `user` from `group` in `tx` (the business lock taken and its `admins` counted
/// first), refusing to leave the business without an administrator; whether they were a
/// member. Every removal of a membership goes through here.
pub(crate) async fn remove_membership(
    tx: &mut dyn StoreTx,
    business: BusinessId,
    group: GroupId,
    user: UserId,
    admins: i64,
) -> Result<bool> {
    if !tx.remove_group_member(business, group, user).await? {
        return Ok(false);
    }
    super::auth::ensure_admin_remains(tx, business, admins).await?;
    Ok(true)
}

impl Gatehouse {
    /// Checks a group's shape (see [`group_scope`]) against the catalog and, in `tx`, that
    /// its tenants are the business's.
    async fn build_scope(
        &self,
        tx: &mut dyn StoreTx,
        business: BusinessId,
        kind: GroupKind,
        tenants: &[TenantId],
        grants: &Grants,
    ) -> Result<GroupScope> {
        self.catalog.validate(grants)?;
        let scope = group_scope(kind, tenants, grants)?;
        for id in scope.tenant_ids() {
            tx.get_tenant(business, id)
                .await?
                .ok_or(Error::TenantNotFound)?;
        }
        Ok(scope)
    }

    pub async fn create_group(
        &self,
        access: &BusinessAccess<GroupsManage>,
        ctx: &RequestContext,
        new: NewGroup,
    ) -> Result<Group> {
        let now = self.now();
        let business = access.business_id();
        let mut tx = self.store.begin().await?;
        let scope = self
            .build_scope(tx.as_mut(), business, new.kind, &new.tenants, &new.grants)
            .await?;
        access.ensure_holds(&new.grants, &scope)?;
        let sensitive = self.check_sensitive(&new.grants, new.acknowledge_sensitive)?;
        let group = Group {
            id: GroupId::new(now),
            business_id: business,
            name: new.name,
            description: new.description,
            scope,
            grants: new.grants,
            member_count: 0,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        tx.insert_group(&group).await?;
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let mut events = vec![audit.event(
            "group.created",
            target(&group),
            None,
            Some(audit_view(&group)),
        )];
        events.extend(audit.sensitive_grant(
            "group.sensitive_permission_granted",
            target(&group),
            &sensitive,
        ));
        self.commit(tx, events).await?;
        Ok(group)
    }

    pub async fn update_group(
        &self,
        access: &BusinessAccess<GroupsManage>,
        ctx: &RequestContext,
        id: GroupId,
        patch: GroupPatch,
        pre: Precondition,
    ) -> Result<Group> {
        let now = self.now();
        let business = access.business_id();
        let mut tx = self.store.begin().await?;
        let admins = super::auth::lock_and_count_admins(tx.as_mut(), business).await?;
        let before = tx
            .get_group(business, id)
            .await?
            .ok_or(Error::GroupNotFound)?;
        pre.check(before.version)?;
        let kind = patch.kind.unwrap_or(before.scope.kind());
        let tenants = match (&patch.tenants, kind) {
            (Some(t), _) => t.clone(),
            (None, GroupKind::Tenants) => before.scope.tenant_ids(),
            (None, GroupKind::Business) => Vec::new(),
        };
        let grants = patch.grants.unwrap_or_else(|| before.grants.clone());
        let scope = self
            .build_scope(tx.as_mut(), business, kind, &tenants, &grants)
            .await?;
        let granted = granted_by_change(Some(&before), &scope, &grants);
        access.ensure_holds(&granted, &scope)?;
        let sensitive = self.check_sensitive(&granted, patch.acknowledge_sensitive)?;
        let mut after = Group {
            name: patch.name.unwrap_or_else(|| before.name.clone()),
            description: patch
                .description
                .unwrap_or_else(|| before.description.clone()),
            scope,
            grants,
            ..before.clone()
        };
        if after == before {
            return Ok(before);
        }
        after.version = before.version + 1;
        after.updated_at = now;
        tx.update_group(&after, before.version).await?;
        let only_grants = after.name == before.name
            && after.description == before.description
            && after.scope == before.scope;
        let action = if only_grants {
            "group.permissions_changed"
        } else {
            "group.updated"
        };
        super::auth::ensure_admin_remains(tx.as_mut(), business, admins).await?;
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let mut events = vec![audit.event(
            action,
            target(&after),
            Some(audit_view(&before)),
            Some(audit_view(&after)),
        )];
        events.extend(audit.sensitive_grant(
            "group.sensitive_permission_granted",
            target(&after),
            &sensitive,
        ));
        self.commit(tx, events).await?;
        Ok(after)
    }

    /// Refused while the group has members, unless `force`.
    pub async fn delete_group(
        &self,
        access: &BusinessAccess<GroupsManage>,
        ctx: &RequestContext,
        id: GroupId,
        force: bool,
    ) -> Result<()> {
        let now = self.now();
        let business = access.business_id();
        let mut tx = self.store.begin().await?;
        let admins = super::auth::lock_and_count_admins(tx.as_mut(), business).await?;
        let group = tx
            .get_group(business, id)
            .await?
            .ok_or(Error::GroupNotFound)?;
        if group.member_count > 0 && !force {
            return Err(Error::GroupHasMembers {
                members: group.member_count,
            });
        }
        tx.delete_group(business, id).await?;
        super::auth::ensure_admin_remains(tx.as_mut(), business, admins).await?;
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let mut before = audit_view(&group);
        before["member_count"] = json!(group.member_count);
        self.commit(
            tx,
            vec![audit.event("group.deleted", target(&group), Some(before), None)],
        )
        .await
    }

    pub async fn add_group_members(
        &self,
        access: &BusinessAccess<GroupsManage>,
        ctx: &RequestContext,
        id: GroupId,
        users: &[UserId],
    ) -> Result<Group> {
        self.add_members(access, ctx, id, users, None).await
    }

    /// Adds members, until `until` if set (temporary access). The caller must hold the
    /// group's rights, whichever permission brought them here (managing groups, or
    /// approving a request for access).
    pub(crate) async fn add_members<P>(
        &self,
        access: &BusinessAccess<P>,
        ctx: &RequestContext,
        id: GroupId,
        users: &[UserId],
        until: Option<OffsetDateTime>,
    ) -> Result<Group> {
        let now = self.now();
        let business = access.business_id();
        let mut tx = self.store.begin().await?;
        let group = tx
            .get_group(business, id)
            .await?
            .ok_or(Error::GroupNotFound)?;
        let unique: BTreeSet<UserId> = users.iter().copied().collect();
        let mut emails = Vec::with_capacity(unique.len());
        for user in &unique {
            emails.push(
                tx.get_user(business, *user)
                    .await?
                    .ok_or(Error::UserNotFound)?
                    .email,
            );
        }
        access.ensure_holds(&group.grants, &group.scope)?;
        let ids: Vec<UserId> = unique.into_iter().collect();
        let end = until.map_or(MemberUntil::Always, MemberUntil::At);
        let added = tx.add_group_members(business, id, &ids, now, end).await?;
        if added == 0 {
            // Nothing changed: no event, and the transaction (and change sequence) is dropped.
            return Ok(group);
        }
        let after = tx
            .get_group(business, id)
            .await?
            .ok_or(Error::GroupNotFound)?;
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let mut added_view =
            json!({ "member_count": after.member_count, "added": added, "users": emails });
        if let Some(end) = until {
            added_view["expires_at"] = json!(crate::clock::rfc3339(end));
        }
        let event = audit.event(
            "group.members_added",
            target(&group),
            Some(json!({ "member_count": group.member_count })),
            Some(added_view),
        );
        self.commit(tx, vec![event]).await?;
        Ok(after)
    }

    pub async fn remove_group_member(
        &self,
        access: &BusinessAccess<GroupsManage>,
        ctx: &RequestContext,
        id: GroupId,
        user: UserId,
    ) -> Result<()> {
        let now = self.now();
        let business = access.business_id();
        let mut tx = self.store.begin().await?;
        let admins = super::auth::lock_and_count_admins(tx.as_mut(), business).await?;
        let group = tx
            .get_group(business, id)
            .await?
            .ok_or(Error::GroupNotFound)?;
        let member = tx
            .get_user(business, user)
            .await?
            .ok_or(Error::UserNotFound)?;
        if !remove_membership(tx.as_mut(), business, id, user, admins).await? {
            return Err(Error::UserNotFound);
        }
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let event = audit.event(
            "group.member_removed",
            target(&group),
            Some(json!({ "user": member.email })),
            None,
        );
        self.commit(tx, vec![event]).await
    }

    pub async fn get_group(
        &self,
        access: &BusinessAccess<UsersView>,
        id: GroupId,
    ) -> Result<Group> {
        self.store
            .get_group(access.business_id(), id)
            .await?
            .ok_or(Error::GroupNotFound)
    }

    pub async fn list_groups(&self, access: &BusinessAccess<UsersView>) -> Result<Vec<Group>> {
        self.store.list_groups(access.business_id()).await
    }

    pub async fn list_group_members(
        &self,
        access: &BusinessAccess<UsersView>,
        id: GroupId,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<User>> {
        let business = access.business_id();
        self.store
            .get_group(business, id)
            .await?
            .ok_or(Error::GroupNotFound)?;
        let filter = UserFilter {
            group: Some(id),
            ..UserFilter::default()
        };
        self.list_users_in(business, &filter, cursor, limit).await
    }
}
