//! Temporary access: a group membership with an end ("Live access for 4 hours"). The engine
//! treats it as absent from its end on every node (the snapshot keeps the end beside the
//! membership and every check compares it with the clock), so nothing waits for the sweeper;
//! the sweeper then deletes what ended and audits each removal with the instant it ended.

pub mod requests;
pub mod store;

use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::{Audit, Gatehouse};
use crate::audit::RequestContext;
use crate::error::{Error, Result};
use crate::ids::{GroupId, UserId};
use crate::model::Group;
use crate::principal::{Actor, BusinessAccess, GroupsManage, UsersView};
pub use requests::{AccessRequest, RequestStatus};
pub use store::{EndedMembership, MembershipReads, MembershipWrites, TemporaryMembership};

/// The longest temporary access: a year. Longer is a membership without an end.
pub const MAX_TEMPORARY: Duration = Duration::days(366);

/// How many ended memberships one sweep removes at most (the next sweep takes the rest).
const SWEEP_BATCH: u32 = 500;

/// When a temporary membership ends: at an instant ("until Friday") or after a while
/// ("for 4 hours", from the moment it is granted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipEnd {
    At(OffsetDateTime),
    After(Duration),
}

impl MembershipEnd {
    /// The instant, checked to lie ahead of `now` and within [`MAX_TEMPORARY`].
    pub fn resolve(self, now: OffsetDateTime) -> Result<OffsetDateTime> {
        let end = match self {
            MembershipEnd::At(at) => at,
            MembershipEnd::After(d) => now + d,
        };
        check_end(end, now)?;
        Ok(end)
    }
}

/// Checks that a membership's end lies ahead of `now`, within [`MAX_TEMPORARY`].
fn check_end(end: OffsetDateTime, now: OffsetDateTime) -> Result<()> {
    if end <= now {
        return Err(Error::invalid(
            "invalid_expiry",
            "expires_at",
            "must be in the future",
        ));
    }
    if end - now > MAX_TEMPORARY {
        return Err(Error::invalid(
            "invalid_expiry",
            "expires_at",
            "temporary access lasts at most 366 days",
        ));
    }
    Ok(())
}

impl Gatehouse {
    /// Adds members until `end` (temporary access); a member without an end stays so, a
    /// temporary member takes the new end. The caller must hold the group's rights.
    pub async fn add_temporary_members(
        &self,
        access: &BusinessAccess<GroupsManage>,
        ctx: &RequestContext,
        id: GroupId,
        users: &[UserId],
        end: MembershipEnd,
    ) -> Result<Group> {
        let end = end.resolve(self.now())?;
        self.add_members(access, ctx, id, users, Some(end)).await
    }

    /// The business's memberships that have an end, soonest first; ended ones the sweeper
    /// has not removed yet are left out.
    pub async fn list_temporary_memberships(
        &self,
        access: &BusinessAccess<UsersView>,
    ) -> Result<Vec<TemporaryMembership>> {
        let now = self.now();
        let mut all = self
            .store()
            .list_temporary_memberships(access.business_id())
            .await?;
        all.retain(|m| m.expires_at > now);
        Ok(all)
    }

    /// Deletes memberships whose end has come, each in its own transaction with its audit
    /// event (`group.membership_expired`, by the system, naming the instant it ended); how
    /// many. Their rights were already gone: this only tidies up and records it.
    pub async fn sweep_expired_memberships(&self) -> Result<usize> {
        let now = self.now();
        let ended = self
            .store()
            .list_ended_memberships(now, SWEEP_BATCH)
            .await?;
        let mut removed = 0;
        for m in &ended {
            removed += usize::from(self.remove_ended_membership(m, now).await?);
        }
        Ok(removed)
    }

    async fn remove_ended_membership(
        &self,
        m: &EndedMembership,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let mut tx = self.store().begin().await?;
        let (Some(group), Some(user)) = (
            tx.get_group(m.business, m.group).await?,
            tx.get_user(m.business, m.user).await?,
        ) else {
            return Ok(false);
        };
        if !tx.delete_ended_membership(m).await? {
            return Ok(false);
        }
        let actor = Actor::system();
        let ctx = RequestContext::default();
        let audit = Audit::new(now, Some(m.business), &actor, &ctx);
        let ended = crate::clock::rfc3339(m.expires_at);
        let event = audit.event(
            "group.membership_expired",
            ("group", group.id.to_string(), group.name.to_string()),
            Some(json!({ "user": user.email, "user_id": user.id, "expires_at": ended })),
            None,
        );
        self.commit(tx, vec![event]).await?;
        Ok(true)
    }
}
