//! Decisions for callers outside the domain: one business's access model as it stands now,
//! asked through the engine's rules with the engine's clock, so handlers never drive the
//! engine or its storage themselves.

use std::sync::Arc;

use time::OffsetDateTime;

use super::Gatehouse;
use crate::authz::matrix::{
    EffectivePermissions, WhoCan, effective_permissions, group_refs, who_can,
};
use crate::authz::{CheckQuery, Decision, PermissionIndex, Snapshot};
use crate::error::{Error, Result};
use crate::ids::{GroupId, UserId};
use crate::model::GroupRef;
use crate::principal::{AuthzCheck, BusinessAccess, BusinessPermission, UsersView};

/// One business's access model at one instant: every question asked of it gets an answer
/// from the same consistent state.
#[derive(Debug, Clone)]
pub struct Decisions {
    snapshot: Arc<Snapshot>,
    perms: Arc<PermissionIndex>,
    now: OffsetDateTime,
}

impl Decisions {
    /// The access-model change sequence the answers are read at.
    pub fn seq(&self) -> i64 {
        self.snapshot.seq()
    }

    /// The groups of `ids` with their names.
    pub fn group_refs(&self, ids: &[GroupId]) -> Vec<GroupRef> {
        group_refs(&self.snapshot, ids)
    }

    fn check(&self, q: &CheckQuery<'_>) -> Result<Decision> {
        self.snapshot.check(&self.perms, q, self.now)
    }
}

/// [`Decisions`] taken with `authz.check`: may answer "may user U do P here?".
#[derive(Debug, Clone)]
pub struct Checks(Decisions);

impl Checks {
    /// Decides one question; an unanswerable one (an environment permission without tenant
    /// or environment) is an error, never an allow.
    pub fn check(&self, q: &CheckQuery<'_>) -> Result<Decision> {
        self.0.check(q)
    }

    pub fn decisions(&self) -> &Decisions {
        &self.0
    }
}

impl Gatehouse {
    async fn decisions<P: BusinessPermission>(
        &self,
        access: &BusinessAccess<P>,
    ) -> Result<Decisions> {
        Ok(Decisions {
            snapshot: self.access_snapshot(access).await?,
            perms: self.engine.permissions_shared(),
            now: self.now(),
        })
    }

    /// The business's access model now, for deciding questions. Requires `authz.check`.
    pub async fn checks(&self, access: &BusinessAccess<AuthzCheck>) -> Result<Checks> {
        Ok(Checks(self.decisions(access).await?))
    }

    /// The user's full matrix, with the groups that grant each right. Requires `users.view`.
    pub async fn effective_permissions(
        &self,
        access: &BusinessAccess<UsersView>,
        user: UserId,
    ) -> Result<EffectivePermissions> {
        let d = self.decisions(access).await?;
        effective_permissions(&d.snapshot, &d.perms, user, d.now).ok_or(Error::UserNotFound)
    }

    /// Users who may use a permission, by id after `after`, at most `limit`; and whether
    /// there are more. Requires `users.view`.
    pub async fn who_can(
        &self,
        access: &BusinessAccess<UsersView>,
        question: WhoCan<'_>,
        after: Option<UserId>,
        limit: usize,
    ) -> Result<(Vec<UserId>, bool)> {
        let d = self.decisions(access).await?;
        who_can(&d.snapshot, &d.perms, question, d.now, after, limit)
    }
}
