//! Provisioning groups: SCIM groups are Gatehouse groups, and what SCIM changes is their
//! name, external id and membership. A group made through SCIM grants nothing; adding a
//! member to a group that does grant something needs the credential to hold it (no
//! escalation); removing members keeps the last administrator.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};

use super::group_patch::{GroupChange, GroupInput, MemberDelta};
use super::list::{ListPage, ListQuery};
use super::schema::Resource;
use crate::audit::RequestContext;
use crate::error::{Error, Result};
use crate::grants::Grants;
use crate::ids::{GroupId, UserId};
use crate::model::{Group, GroupScope, User};
use crate::principal::{BusinessAccess, ScimProvision};
use crate::services::auth::{ensure_admin_remains, lock_and_count_admins};
use crate::services::{Audit, Gatehouse, Precondition};
use crate::store::{MemberUntil, StoreTx, UserFilter};
use crate::types::{Description, GroupName};

/// A group as SCIM shows it; `members` only when read.
#[derive(Debug, Clone)]
pub struct ScimGroup {
    pub group: Group,
    pub external_id: Option<String>,
    pub members: Option<Vec<User>>,
}

impl ScimGroup {
    pub fn render(&self, base: &str) -> Value {
        super::render::group(
            base,
            &self.group,
            self.external_id.as_deref(),
            self.members.as_deref(),
        )
    }
}

fn group_name(raw: &str) -> Result<GroupName> {
    GroupName::parse(raw).map_err(|e| Error::ScimInvalidValue(format!("displayName: {e}")))
}

fn target(g: &Group) -> (&'static str, String, String) {
    ("group", g.id.to_string(), g.name.to_string())
}

impl Gatehouse {
    async fn scim_external_ids(
        &self,
        access: &BusinessAccess<ScimProvision>,
    ) -> Result<HashMap<GroupId, String>> {
        Ok(self
            .store()
            .list_scim_groups(access.business_id())
            .await?
            .into_iter()
            .collect())
    }

    async fn scim_members(
        &self,
        access: &BusinessAccess<ScimProvision>,
        group: GroupId,
    ) -> Result<Vec<User>> {
        let filter = UserFilter {
            group: Some(group),
            ..UserFilter::default()
        };
        self.users_where(access.business_id(), &filter).await
    }

    pub async fn scim_get_group(
        &self,
        access: &BusinessAccess<ScimProvision>,
        id: GroupId,
        with_members: bool,
    ) -> Result<ScimGroup> {
        let group = self
            .store()
            .get_group(access.business_id(), id)
            .await?
            .ok_or(Error::GroupNotFound)?;
        let external_id = self.scim_external_ids(access).await?.remove(&id);
        let members = match with_members {
            true => Some(self.scim_members(access, id).await?),
            false => None,
        };
        Ok(ScimGroup {
            group,
            external_id,
            members,
        })
    }

    /// Lists groups; members are read only when the answer or the filter needs them.
    pub async fn scim_list_groups(
        &self,
        access: &BusinessAccess<ScimProvision>,
        query: &ListQuery,
        with_members: bool,
    ) -> Result<ListPage> {
        let base = self.scim_base();
        let external = self.scim_external_ids(access).await?;
        let mut docs = Vec::new();
        for group in self.store().list_groups(access.business_id()).await? {
            let members = match with_members {
                true => Some(self.scim_members(access, group.id).await?),
                false => None,
            };
            let ext = external.get(&group.id).map(String::as_str);
            docs.push(super::render::group(&base, &group, ext, members.as_deref()));
        }
        query.run(Resource::Group, docs)
    }

    /// Creates a group with no permissions, and its members.
    pub async fn scim_create_group(
        &self,
        access: &BusinessAccess<ScimProvision>,
        ctx: &RequestContext,
        input: GroupInput,
    ) -> Result<ScimGroup> {
        let now = self.now();
        let business = access.business_id();
        let group = Group {
            id: GroupId::new(now),
            business_id: business,
            name: group_name(&input.display_name)?,
            description: Description::parse("Provisioned through SCIM")?,
            scope: GroupScope::Business,
            // Provisioning never grants rights: an administrator does, in Gatehouse.
            grants: Grants::default(),
            member_count: 0,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store().begin().await?;
        tx.insert_group(&group).await?;
        tx.put_scim_group(business, group.id, input.external_id.as_deref())
            .await?;
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let mut events = vec![audit.event(
            "group.created",
            target(&group),
            None,
            Some(json!({ "name": group.name, "external_id": input.external_id, "provisioned": true })),
        )];
        let delta = MemberDelta {
            add: input.members,
            ..MemberDelta::default()
        };
        let group = self
            .scim_apply_members(tx.as_mut(), access, &audit, group, &delta, &mut events)
            .await?;
        self.commit(tx, events).await?;
        Ok(ScimGroup {
            group,
            external_id: input.external_id,
            members: None,
        })
    }

    /// Replaces a group's name, external id and members (PUT).
    pub async fn scim_replace_group(
        &self,
        access: &BusinessAccess<ScimProvision>,
        ctx: &RequestContext,
        id: GroupId,
        input: GroupInput,
        pre: Precondition,
    ) -> Result<ScimGroup> {
        let change = GroupChange {
            display_name: Some(input.display_name),
            external_id: Some(input.external_id),
            members: MemberDelta {
                replace: Some(input.members),
                ..MemberDelta::default()
            },
        };
        self.scim_change_group(access, ctx, id, change, pre).await
    }

    /// Applies one change (a PATCH's operations, or a PUT), all or none.
    pub async fn scim_change_group(
        &self,
        access: &BusinessAccess<ScimProvision>,
        ctx: &RequestContext,
        id: GroupId,
        change: GroupChange,
        pre: Precondition,
    ) -> Result<ScimGroup> {
        let now = self.now();
        let business = access.business_id();
        let mut external = self.scim_external_ids(access).await?.remove(&id);
        let mut delta = change.members;
        if let Some(wanted) = delta.replace.take() {
            // A whole new set: the difference with the current one.
            let current: BTreeSet<String> = self
                .scim_members(access, id)
                .await?
                .iter()
                .map(|u| u.id.to_string())
                .collect();
            delta.add = wanted.difference(&current).cloned().collect();
            delta.remove = current.difference(&wanted).cloned().collect();
        }
        let mut tx = self.store().begin().await?;
        let admins = lock_and_count_admins(tx.as_mut(), business).await?;
        let before = tx
            .get_group(business, id)
            .await?
            .ok_or(Error::GroupNotFound)?;
        pre.check(before.version)?;
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let mut events = Vec::new();
        let mut group = before.clone();
        if let Some(name) = &change.display_name {
            group.name = group_name(name)?;
        }
        if let Some(ext) = change.external_id
            && ext != external
        {
            tx.put_scim_group(business, id, ext.as_deref()).await?;
            events.push(audit.event(
                "group.updated",
                target(&group),
                Some(json!({ "external_id": external })),
                Some(json!({ "external_id": ext })),
            ));
            external = ext;
        }
        if group.name != before.name {
            events.push(audit.event(
                "group.updated",
                target(&group),
                Some(json!({ "name": before.name })),
                Some(json!({ "name": group.name })),
            ));
        }
        group = self
            .scim_apply_members(tx.as_mut(), access, &audit, group, &delta, &mut events)
            .await?;
        if events.is_empty() {
            return Ok(ScimGroup {
                group: before,
                external_id: external,
                members: None,
            });
        }
        group.version = before.version + 1;
        group.updated_at = now;
        tx.update_group(&group, before.version).await?;
        ensure_admin_remains(tx.as_mut(), business, admins).await?;
        self.commit(tx, events).await?;
        Ok(ScimGroup {
            group,
            external_id: external,
            members: None,
        })
    }

    /// Adds and removes members in `tx`, with their events; the group as it is then.
    async fn scim_apply_members(
        &self,
        tx: &mut dyn StoreTx,
        access: &BusinessAccess<ScimProvision>,
        audit: &Audit<'_>,
        group: Group,
        delta: &MemberDelta,
        events: &mut Vec<crate::audit::AuditEvent>,
    ) -> Result<Group> {
        let business = access.business_id();
        let resolve = |raw: &String| {
            raw.parse::<UserId>()
                .map_err(|_| Error::ScimInvalidValue(format!("no user {raw}")))
        };
        if !delta.add.is_empty() {
            // Joining a group grants its rights: only a credential holding them may add.
            access.ensure_holds(&group.grants, &group.scope)?;
            let mut ids = Vec::new();
            let mut emails = Vec::new();
            for raw in &delta.add {
                let id = resolve(raw)?;
                let user = tx
                    .get_user(business, id)
                    .await?
                    .filter(|u| !u.email.is_deprovisioned())
                    .ok_or_else(|| Error::ScimInvalidValue(format!("no user {raw}")))?;
                ids.push(id);
                emails.push(user.email);
            }
            let added = tx
                .add_group_members(business, group.id, &ids, audit.at(), MemberUntil::KeepEnd)
                .await?;
            if added > 0 {
                events.push(audit.event(
                    "group.members_added",
                    target(&group),
                    Some(json!({ "member_count": group.member_count })),
                    Some(json!({ "added": added, "users": emails })),
                ));
            }
        }
        let mut removed = Vec::new();
        for raw in &delta.remove {
            let Ok(id) = raw.parse::<UserId>() else {
                continue;
            };
            let Some(user) = tx.get_user(business, id).await? else {
                continue;
            };
            if tx.remove_group_member(business, group.id, id).await? {
                removed.push(user.email);
            }
        }
        if !removed.is_empty() {
            events.push(audit.event(
                "group.member_removed",
                target(&group),
                Some(json!({ "users": removed })),
                None,
            ));
        }
        let mut group = group;
        if let Some(now) = tx.get_group(business, group.id).await? {
            group.member_count = now.member_count;
        }
        Ok(group)
    }

    /// Deletes a group and its memberships (what it granted ends with it).
    pub async fn scim_delete_group(
        &self,
        access: &BusinessAccess<ScimProvision>,
        ctx: &RequestContext,
        id: GroupId,
        pre: Precondition,
    ) -> Result<()> {
        let now = self.now();
        let business = access.business_id();
        let mut tx = self.store().begin().await?;
        let admins = lock_and_count_admins(tx.as_mut(), business).await?;
        let group = tx
            .get_group(business, id)
            .await?
            .ok_or(Error::GroupNotFound)?;
        pre.check(group.version)?;
        tx.put_scim_group(business, id, None).await?;
        tx.delete_group(business, id).await?;
        ensure_admin_remains(tx.as_mut(), business, admins).await?;
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let event = audit.event(
            "group.deleted",
            target(&group),
            Some(json!({ "name": group.name, "member_count": group.member_count })),
            None,
        );
        self.commit(tx, vec![event]).await
    }
}
