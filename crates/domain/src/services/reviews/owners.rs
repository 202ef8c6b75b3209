//! Group owners: the people accountable for who is in a group. Owning grants nothing; it
//! makes the owner the group's reviewer in access reviews that ask for owners.

use serde_json::json;

use crate::audit::RequestContext;
use crate::error::{Error, Result};
use crate::ids::{GroupId, UserId};
use crate::model::UserStatus;
use crate::principal::{BusinessAccess, GroupsManage, UsersView};
use crate::services::{Audit, Gatehouse};

/// One owner of a group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct GroupOwner {
    pub group_id: GroupId,
    pub user_id: UserId,
    pub email: String,
}

impl Gatehouse {
    /// The owners of `group`, by email. Requires `users.view`.
    pub async fn list_group_owners(
        &self,
        access: &BusinessAccess<UsersView>,
        group: GroupId,
    ) -> Result<Vec<GroupOwner>> {
        let business = access.business_id();
        self.store()
            .get_group(business, group)
            .await?
            .ok_or(Error::GroupNotFound)?;
        let mut owners = self.store().list_group_owners(business).await?;
        owners.retain(|o| o.group_id == group);
        Ok(owners)
    }

    /// Makes `user` (not deactivated) an owner of `group`, or stops it (`own: false`);
    /// audited when it changes anything. Requires `groups.manage`.
    pub async fn set_group_owner(
        &self,
        access: &BusinessAccess<GroupsManage>,
        ctx: &RequestContext,
        group: GroupId,
        user: UserId,
        own: bool,
    ) -> Result<Vec<GroupOwner>> {
        let business = access.business_id();
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let g = tx
            .get_group(business, group)
            .await?
            .ok_or(Error::GroupNotFound)?;
        let u = tx
            .get_user(business, user)
            .await?
            .ok_or(Error::UserNotFound)?;
        let changed = if own {
            if u.status == UserStatus::Deactivated {
                return Err(Error::invalid(
                    "invalid_owner",
                    "user_id",
                    "a deactivated user cannot own a group",
                ));
            }
            tx.insert_group_owner(business, group, user, now).await?
        } else {
            tx.delete_group_owner(business, group, user).await?
        };
        if changed {
            let action = if own {
                "group.owner_added"
            } else {
                "group.owner_removed"
            };
            let event = Audit::new(now, Some(business), access.actor(), ctx).event(
                action,
                ("group", g.id.to_string(), g.name.to_string()),
                None,
                Some(json!({ "user": u.email, "user_id": u.id })),
            );
            self.commit(tx, vec![event]).await?;
        }
        let mut owners = self.store().list_group_owners(business).await?;
        owners.retain(|o| o.group_id == group);
        Ok(owners)
    }
}
