//! The best-practice checks: pure functions from the engine's snapshot and the store's facts
//! to findings, each naming who or what is involved and where the fix is.

use std::collections::{BTreeMap, BTreeSet};

use time::{Duration, OffsetDateTime};

use super::report::{Finding, FindingKind, Subject};
use super::store::{AdvisorSettings, ApplicationFact, UserFact};
use crate::authz::matrix::effective_permissions;
use crate::authz::{MfaRequirement, PermissionIndex, Snapshot};
use crate::catalog::{Catalog, PermissionKey, PermissionScope};
use crate::ids::UserId;
use crate::model::{ApiKey, Group, GroupScope, UserStatus};
use crate::services::auth::ADMINISTRATOR_PERMISSIONS;

/// Below this many active users, a share of users is not a meaningful measure.
const MIN_USERS_FOR_SHARE: usize = 5;

/// Everything the checks read.
pub(crate) struct Facts<'a> {
    pub snap: &'a Snapshot,
    pub perms: &'a PermissionIndex,
    pub catalog: &'a Catalog,
    pub settings: AdvisorSettings,
    pub now: OffsetDateTime,
    pub users: &'a [UserFact],
    pub groups: &'a [Group],
    pub api_keys: &'a [ApiKey],
    pub applications: &'a [ApplicationFact],
}

/// What one active user holds now, from the snapshot.
struct Held {
    user: usize,
    keys: BTreeSet<PermissionKey>,
    live: bool,
}

fn user_subject(u: &UserFact) -> Subject {
    Subject::user(u.id, u.email.as_str())
}

fn group_subject(g: &Group) -> Subject {
    Subject::group(g.id, g.name.as_str())
}

/// Names that say nothing of what a group is for ("Group 1", "test", "new group").
pub(crate) fn is_vague_name(name: &str) -> bool {
    const VAGUE: &[&str] = &[
        "group",
        "new group",
        "test",
        "testing",
        "tmp",
        "temp",
        "untitled",
        "default",
        "misc",
        "new",
        "copy",
        "foo",
        "bar",
        "asdf",
        "x",
    ];
    let lower = name.trim().to_lowercase();
    let stem = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_whitespace());
    stem.chars().count() < 3 || VAGUE.contains(&stem) || stem.starts_with("copy of ")
}

/// Whether the user holds every administrator permission now.
pub(crate) fn is_admin(
    snap: &Snapshot,
    perms: &PermissionIndex,
    user: UserId,
    now: OffsetDateTime,
) -> bool {
    effective_permissions(snap, perms, user, now).is_some_and(|m| {
        m.active
            && ADMINISTRATOR_PERMISSIONS
                .iter()
                .all(|p| m.business.iter().any(|g| g.permission.as_str() == *p))
    })
}

fn holdings(f: &Facts<'_>) -> Vec<Held> {
    f.users
        .iter()
        .enumerate()
        .filter(|(_, u)| u.status == UserStatus::Active)
        .filter_map(|(i, u)| {
            let m = effective_permissions(f.snap, f.perms, u.id, f.now)?;
            let mut keys: BTreeSet<PermissionKey> =
                m.business.iter().map(|g| g.permission.clone()).collect();
            let mut live = false;
            for t in &m.tenants {
                live |= !t.live.is_empty();
                keys.extend(
                    t.live
                        .iter()
                        .chain(&t.sandbox)
                        .map(|g| g.permission.clone()),
                );
            }
            Some(Held {
                user: i,
                keys,
                live,
            })
        })
        .collect()
}

/// Every finding, most severe first.
pub(crate) fn findings(f: &Facts<'_>) -> Vec<Finding> {
    let held = holdings(f);
    let mut out = Vec::new();
    sensitive_share(f, &held, &mut out);
    business_wide_sensitive(f, &mut out);
    live_without_mfa(f, &held, &mut out);
    dormant(f, &held, &mut out);
    stale_invitations(f, &mut out);
    group_hygiene(f, &mut out);
    duplicate_groups(f, &mut out);
    admins_without_mfa(f, &held, &mut out);
    keys_and_applications(f, &mut out);
    out.sort_by_key(|x| x.kind.severity());
    out
}

fn sensitive_share(f: &Facts<'_>, held: &[Held], out: &mut Vec<Finding>) {
    if held.len() < MIN_USERS_FOR_SHARE {
        return;
    }
    for def in f.catalog.iter().filter(|d| d.sensitive) {
        let holders: Vec<&Held> = held.iter().filter(|h| h.keys.contains(&def.key)).collect();
        let share = holders.len() * 100 / held.len();
        if share > f.settings.sensitive_share_percent as usize {
            out.push(
                Finding::new(
                    FindingKind::SensitiveWidelyHeld,
                    format!(
                        "{} ({}) is held by {share}% of active users",
                        def.label, def.key
                    ),
                    holders
                        .iter()
                        .map(|h| user_subject(&f.users[h.user]))
                        .collect(),
                    "/groups".to_owned(),
                )
                .keyed(def.key.as_str()),
            );
        }
    }
}

fn business_wide_sensitive(f: &Facts<'_>, out: &mut Vec<Finding>) {
    for g in f.groups.iter().filter(|g| g.scope == GroupScope::Business) {
        let sensitive: BTreeSet<&PermissionKey> = g
            .grants
            .live
            .iter()
            .chain(&g.grants.sandbox)
            .filter(|k| {
                f.catalog
                    .get(k.as_str())
                    .is_some_and(|d| d.sensitive && d.scope == PermissionScope::Environment)
            })
            .collect();
        if !sensitive.is_empty() {
            let keys: Vec<&str> = sensitive.iter().map(|k| k.as_str()).collect();
            out.push(Finding::new(
                FindingKind::BusinessWideSensitiveGroup,
                format!(
                    "Business-wide group {} grants {} in every tenant, including future ones",
                    g.name,
                    keys.join(", ")
                ),
                vec![group_subject(g)],
                format!("/groups/{}", g.id),
            ));
        }
    }
}

fn live_without_mfa(f: &Facts<'_>, held: &[Held], out: &mut Vec<Finding>) {
    for h in held.iter().filter(|h| h.live) {
        let u = &f.users[h.user];
        if u.mfa_enrolled {
            continue;
        }
        let when = match f.snap.mfa_requirement(u.id, f.now) {
            Some(MfaRequirement::Grace { deadline }) => {
                format!(
                    "; their grace period ends {}",
                    crate::clock::rfc3339(deadline)
                )
            }
            Some(MfaRequirement::Required) => "; the policy already blocks it".to_owned(),
            _ => "; the MFA policy does not require it".to_owned(),
        };
        out.push(Finding::new(
            FindingKind::LiveAccessWithoutMfa,
            format!("{} has Live access and no second factor{when}", u.email),
            vec![user_subject(u)],
            format!("/users/{}", u.id),
        ));
    }
}

fn dormant(f: &Facts<'_>, held: &[Held], out: &mut Vec<Finding>) {
    let cutoff = f.now - Duration::days(i64::from(f.settings.dormant_days));
    let dormant: Vec<Subject> = held
        .iter()
        .filter(|h| !h.keys.is_empty())
        .map(|h| &f.users[h.user])
        .filter(|u| {
            let seen = u.last_sign_in.or(u.activated_at).unwrap_or(u.created_at);
            seen < cutoff
        })
        .map(user_subject)
        .collect();
    if !dormant.is_empty() {
        out.push(Finding::new(
            FindingKind::DormantAccount,
            format!(
                "{} account(s) have not signed in for {} days and still hold access",
                dormant.len(),
                f.settings.dormant_days
            ),
            dormant,
            "/users?status=active".to_owned(),
        ));
    }
}

fn stale_invitations(f: &Facts<'_>, out: &mut Vec<Finding>) {
    let cutoff = f.now - Duration::days(i64::from(f.settings.invitation_days));
    let stale: Vec<Subject> = f
        .users
        .iter()
        .filter(|u| u.status == UserStatus::Pending && u.invited_at.is_some_and(|at| at < cutoff))
        .map(user_subject)
        .collect();
    if !stale.is_empty() {
        out.push(Finding::new(
            FindingKind::StaleInvitation,
            format!(
                "{} invitation(s) pending for more than {} days",
                stale.len(),
                f.settings.invitation_days
            ),
            stale,
            "/users?status=pending".to_owned(),
        ));
    }
}

fn group_hygiene(f: &Facts<'_>, out: &mut Vec<Finding>) {
    for g in f.groups {
        let fix = format!("/groups/{}", g.id);
        let mut push = |kind, title: String| {
            out.push(Finding::new(
                kind,
                title,
                vec![group_subject(g)],
                fix.clone(),
            ));
        };
        if g.member_count == 0 {
            push(
                FindingKind::EmptyGroup,
                format!("Group {} has no members", g.name),
            );
        }
        if g.grants.is_empty() {
            push(
                FindingKind::GroupWithoutPermissions,
                format!("Group {} grants no permission", g.name),
            );
        }
        if is_vague_name(g.name.as_str()) {
            push(
                FindingKind::VagueGroupName,
                format!(
                    "Group name \"{}\" does not say what the group is for",
                    g.name
                ),
            );
        }
        if g.description.as_str().trim().is_empty() {
            push(
                FindingKind::GroupWithoutDescription,
                format!("Group {} has no description", g.name),
            );
        }
    }
}

fn duplicate_groups(f: &Facts<'_>, out: &mut Vec<Finding>) {
    let mut same: BTreeMap<String, Vec<&Group>> = BTreeMap::new();
    for g in f.groups.iter().filter(|g| !g.grants.is_empty()) {
        let key = serde_json::json!({ "scope": g.scope.kind(), "tenants": g.scope.tenant_ids(), "grants": g.grants });
        same.entry(key.to_string()).or_default().push(g);
    }
    for groups in same.values().filter(|gs| gs.len() > 1) {
        let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        out.push(Finding::new(
            FindingKind::DuplicateGroups,
            format!(
                "Groups {} grant exactly the same rights",
                names.join(" and ")
            ),
            groups.iter().map(|g| group_subject(g)).collect(),
            format!("/groups/{}", groups[1].id),
        ));
    }
}

fn admins_without_mfa(f: &Facts<'_>, held: &[Held], out: &mut Vec<Finding>) {
    for h in held {
        let u = &f.users[h.user];
        if !u.mfa_enrolled && is_admin(f.snap, f.perms, u.id, f.now) {
            out.push(Finding::new(
                FindingKind::AdministratorWithoutMfa,
                format!("Administrator {} has no second factor", u.email),
                vec![user_subject(u)],
                format!("/users/{}", u.id),
            ));
        }
    }
}

fn keys_and_applications(f: &Facts<'_>, out: &mut Vec<Finding>) {
    let cutoff = f.now - Duration::days(i64::from(f.settings.unused_days));
    for k in f.api_keys.iter().filter(|k| k.is_usable_at(f.now)) {
        let subject = Subject::api_key(k.id, k.name.as_str());
        if k.last_used_at.unwrap_or(k.created_at) < cutoff {
            out.push(Finding::new(
                FindingKind::UnusedApiKey,
                format!(
                    "API key {} has not been used for {} days",
                    k.name, f.settings.unused_days
                ),
                vec![subject.clone()],
                format!("/api-keys/{}/revoke", k.id),
            ));
        }
        if k.expires_at.is_none() {
            out.push(Finding::new(
                FindingKind::ApiKeyWithoutExpiry,
                format!("API key {} never expires", k.name),
                vec![subject],
                "/api-keys".to_owned(),
            ));
        }
    }
    for a in f.applications {
        if a.last_used.unwrap_or(a.created_at) < cutoff {
            out.push(Finding::new(
                FindingKind::UnusedApplication,
                format!(
                    "Application {} has not been used for {} days",
                    a.name, f.settings.unused_days
                ),
                vec![Subject::application(a.id, &a.name)],
                format!("/applications/{}", a.id),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_vague_name;

    #[test]
    fn vague_names_are_caught_and_descriptive_ones_pass() {
        for vague in ["Group 1", "test", "New group", "tmp2", "Copy of Ops", "ab"] {
            assert!(is_vague_name(vague), "{vague}");
        }
        for fine in [
            "Compliance UK",
            "Live operations",
            "Support tier 2",
            "Testers EU",
        ] {
            assert!(!is_vague_name(fine), "{fine}");
        }
    }
}
