//! Requests for temporary access, the break-glass path: a user asks for a group for a
//! while, with a reason; an administrator who manages groups approves (the temporary
//! membership starts then) or denies it. Approving is granting: the approver must hold the
//! group's rights (no escalation), and nobody approves their own request. All audited.

use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::{MAX_TEMPORARY, MembershipEnd};
use crate::audit::RequestContext;
use crate::error::{Error, Result};
use crate::ids::{AccessRequestId, GroupId, UserId};
use crate::principal::{AnyMember, BusinessAccess, GroupsManage};
use crate::services::{Audit, Gatehouse};
use crate::store::MemberUntil;
use crate::types::{Email, GroupName};

/// The longest reason.
pub const MAX_REASON: usize = 500;

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Pending,
    Approved,
    Denied,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Denied => "denied",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Approved, Self::Denied]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// One request for temporary access.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AccessRequest {
    pub id: AccessRequestId,
    pub user_id: UserId,
    pub email: Email,
    pub group_id: GroupId,
    pub group_name: GroupName,
    /// How long the access lasts once approved, in seconds.
    pub duration_seconds: i64,
    pub reason: String,
    pub status: RequestStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    /// Who decided, as the audit trail names them.
    pub decided_by: Option<String>,
    /// When the granted access ends (approved requests).
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

/// The caller's own user id: only a signed-in user (not an API key) asks for access or
/// has a digest to opt out of.
pub(crate) fn own_user<P>(access: &BusinessAccess<P>) -> Result<UserId> {
    let actor = access.actor();
    match (actor.kind, actor.id.as_deref().map(str::parse)) {
        (crate::principal::ActorKind::User, Some(Ok(id))) => Ok(id),
        _ => Err(Error::invalid(
            "user_only",
            "user",
            "only a signed-in user can do this",
        )),
    }
}

fn target(r: &AccessRequest) -> (&'static str, String, String) {
    (
        "access_request",
        r.id.to_string(),
        format!("{} → {}", r.email, r.group_name),
    )
}

impl Gatehouse {
    /// The signed-in caller asks for `group` for `duration`, saying why. Any member may ask.
    pub async fn request_access(
        &self,
        access: &BusinessAccess<AnyMember>,
        ctx: &RequestContext,
        group: GroupId,
        duration: Duration,
        reason: &str,
    ) -> Result<AccessRequest> {
        let me = own_user(access)?;
        let reason = reason.trim();
        if reason.is_empty()
            || reason.chars().count() > MAX_REASON
            || reason.chars().any(char::is_control)
        {
            return Err(Error::invalid(
                "invalid_reason",
                "reason",
                format!("say why, in 1 to {MAX_REASON} characters"),
            ));
        }
        if duration < Duration::minutes(1) || duration > MAX_TEMPORARY {
            return Err(Error::invalid(
                "invalid_duration",
                "duration_seconds",
                "from 1 minute to 366 days",
            ));
        }
        let now = self.now();
        let business = access.business_id();
        let mut tx = self.store().begin().await?;
        let g = tx
            .get_group(business, group)
            .await?
            .ok_or(Error::GroupNotFound)?;
        let user = tx
            .get_user(business, me)
            .await?
            .ok_or(Error::UserNotFound)?;
        let request = AccessRequest {
            id: AccessRequestId::new(now),
            user_id: me,
            email: user.email,
            group_id: g.id,
            group_name: g.name,
            duration_seconds: duration.whole_seconds(),
            reason: reason.to_owned(),
            status: RequestStatus::Pending,
            created_at: now,
            decided_at: None,
            decided_by: None,
            expires_at: None,
        };
        tx.insert_access_request(business, &request).await?;
        let event = Audit::new(now, Some(business), access.actor(), ctx).event(
            "access_request.created",
            target(&request),
            None,
            Some(json!({ "duration_seconds": request.duration_seconds, "reason": request.reason })),
        );
        self.commit(tx, vec![event]).await?;
        Ok(request)
    }

    /// The groups a member may ask for, by name: every group of the business.
    pub async fn requestable_groups(
        &self,
        access: &BusinessAccess<AnyMember>,
    ) -> Result<Vec<(GroupId, GroupName)>> {
        let mut groups: Vec<(GroupId, GroupName)> = self
            .store()
            .list_groups(access.business_id())
            .await?
            .into_iter()
            .map(|g| (g.id, g.name))
            .collect();
        groups.sort_by(|a, b| a.1.as_str().cmp(b.1.as_str()));
        Ok(groups)
    }

    /// The signed-in caller's own requests, newest first.
    pub async fn list_my_access_requests(
        &self,
        access: &BusinessAccess<AnyMember>,
    ) -> Result<Vec<AccessRequest>> {
        let me = own_user(access)?;
        self.store()
            .list_access_requests(access.business_id(), Some(me))
            .await
    }

    /// The business's requests, pending first, then newest first. Requires `groups.manage`.
    pub async fn list_access_requests(
        &self,
        access: &BusinessAccess<GroupsManage>,
    ) -> Result<Vec<AccessRequest>> {
        let mut all = self
            .store()
            .list_access_requests(access.business_id(), None)
            .await?;
        all.sort_by_key(|r| (r.status != RequestStatus::Pending, std::cmp::Reverse(r.id)));
        Ok(all)
    }

    /// Approves (adding the temporary membership, which ends `duration` from now) or denies
    /// a pending request. Requires `groups.manage`; approving needs the group's rights too.
    pub async fn decide_access_request(
        &self,
        access: &BusinessAccess<GroupsManage>,
        ctx: &RequestContext,
        id: AccessRequestId,
        approve: bool,
    ) -> Result<AccessRequest> {
        let now = self.now();
        let business = access.business_id();
        let mut tx = self.store().begin().await?;
        let mut request = tx
            .get_access_request(business, id)
            .await?
            .ok_or(Error::AccessRequestNotFound)?;
        if request.status != RequestStatus::Pending {
            return Err(Error::AccessRequestDecided(request.status.as_str()));
        }
        if access.actor().id.as_deref() == Some(request.user_id.to_string().as_str()) {
            return Err(Error::SelfApproval);
        }
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let mut events = Vec::new();
        request.decided_at = Some(now);
        request.decided_by = Some(access.actor().label.clone());
        if approve {
            let group = tx
                .get_group(business, request.group_id)
                .await?
                .ok_or(Error::GroupNotFound)?;
            access.ensure_holds(&group.grants, &group.scope)?;
            let end =
                MembershipEnd::After(Duration::seconds(request.duration_seconds)).resolve(now)?;
            tx.add_group_members(
                business,
                group.id,
                &[request.user_id],
                now,
                MemberUntil::At(end),
            )
            .await?;
            request.status = RequestStatus::Approved;
            request.expires_at = Some(end);
            events.push(audit.event(
                "group.members_added",
                ("group", group.id.to_string(), group.name.to_string()),
                Some(json!({ "member_count": group.member_count })),
                Some(json!({ "users": [request.email], "expires_at": crate::clock::rfc3339(end), "access_request": request.id })),
            ));
        } else {
            request.status = RequestStatus::Denied;
        }
        if !tx.decide_access_request(business, &request).await? {
            return Err(Error::AccessRequestDecided("decided"));
        }
        let action = if approve {
            "access_request.approved"
        } else {
            "access_request.denied"
        };
        events.insert(
            0,
            audit.event(
                action,
                target(&request),
                Some(json!({ "status": "pending" })),
                Some(json!({ "status": request.status, "expires_at": request.expires_at.map(crate::clock::rfc3339) })),
            ),
        );
        self.commit(tx, events).await?;
        Ok(request)
    }
}
