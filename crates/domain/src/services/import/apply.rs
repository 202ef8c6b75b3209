//! Writing a planned batch: every valid row's user, memberships, invitation mail (through
//! the durable outbox) and audit event, in the batch's one transaction. Rows refused by the
//! plan are not in it, so a refused row never changes anything.

use std::collections::BTreeMap;

use serde_json::json;

use super::plan::{Change, Planned};
use crate::Gatehouse;
use crate::audit::AuditEvent;
use crate::error::Result;
use crate::ids::{GroupId, UserId};
use crate::model::{Business, User, UserStatus};
use crate::services::Audit;
use crate::services::users::{audit_view, target};
use crate::store::{MemberUntil, StoreTx};

impl Gatehouse {
    /// Writes the changes of `planned` in `tx`; the audit events to commit with them.
    pub(crate) async fn apply_planned(
        &self,
        tx: &mut dyn StoreTx,
        business: &Business,
        planned: &[Planned],
        audit: &Audit<'_>,
    ) -> Result<Vec<AuditEvent>> {
        let now = audit.at();
        let mut events = Vec::new();
        // New users, their invitations and mails, and new members by group, each written
        // with one statement (or a few) for the whole batch.
        let mut users = Vec::new();
        let mut tokens = Vec::new();
        let mut mails = Vec::new();
        let mut joins: BTreeMap<GroupId, Vec<UserId>> = BTreeMap::new();
        for change in planned.iter().filter_map(|p| p.change.as_ref()) {
            match change {
                Change::Create {
                    email,
                    name,
                    groups,
                } => {
                    let user = User {
                        id: UserId::new(now),
                        business_id: business.id,
                        email: email.clone(),
                        display_name: name.clone(),
                        status: UserStatus::Pending,
                        mfa_enrolled: false,
                        groups: groups.clone(),
                        activated_at: None,
                        version: 1,
                        created_at: now,
                        updated_at: now,
                    };
                    for g in groups {
                        joins.entry(g.id).or_default().push(user.id);
                    }
                    let (mail, token) = self.prepare_invitation(business, &user)?;
                    // One change, one event, as when a user is invited one at a time.
                    let mut after = audit_view(&user);
                    after["invitation"] = json!({
                        "expires_at": token.expires_at.unix_timestamp(),
                        "voided_earlier": 0,
                    });
                    after["imported"] = json!(true);
                    events.push(audit.event("user.created", target(&user), None, Some(after)));
                    mails.push(self.queued_mail(&user, mail));
                    tokens.push(token);
                    users.push(user);
                }
                Change::Update { before, name, add } => {
                    let mut after = before.clone();
                    if let Some(name) = name {
                        after.display_name = name.clone();
                    }
                    after.groups.extend(add.iter().cloned());
                    after.groups.sort_by_key(|g| g.name.key());
                    after.version = before.version + 1;
                    after.updated_at = now;
                    tx.update_user(&after, before.version).await?;
                    for g in add {
                        joins.entry(g.id).or_default().push(after.id);
                    }
                    let mut view = audit_view(&after);
                    view["imported"] = json!(true);
                    events.push(audit.event(
                        "user.updated",
                        target(&after),
                        Some(audit_view(before)),
                        Some(view),
                    ));
                }
            }
        }
        tx.insert_users(&users).await?;
        tx.insert_auth_tokens(&tokens).await?;
        tx.enqueue_mails(&mails).await?;
        for (group, members) in joins {
            tx.add_group_members(business.id, group, &members, now, MemberUntil::KeepEnd)
                .await?;
        }
        Ok(events)
    }
}
