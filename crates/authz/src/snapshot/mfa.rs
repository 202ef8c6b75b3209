//! What the MFA policy asks of each user: the one definition of "has Live access" and of
//! when a second factor becomes required. The check path, sign-in, the user page and the
//! settings page all ask these methods, so they can never disagree.

use time::OffsetDateTime;

use uuid::Uuid;

use super::{Snapshot, UserEntry};
use crate::ids::UserId;
use crate::model::{MfaPolicy, PasskeyPolicy, UserStatus};
use crate::types::Environment;

/// What the MFA policy asks of one user at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaRequirement {
    /// The user has a second factor.
    Enrolled,
    /// The policy does not cover this user (off, or Live access only and they have none).
    NotRequired,
    /// Covered, but still within the grace period, which ends at `deadline`.
    Grace { deadline: OffsetDateTime },
    /// Covered and past the grace period: rights the policy covers are denied until the
    /// user enrols, and sign-in ends in enrolment.
    Required,
}

/// Where the MFA policy denies a user the rights their groups grant, for want of a
/// second factor: per environment, and for business-scope (administration) rights.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct MfaBlocked {
    pub live: bool,
    pub sandbox: bool,
    pub business: bool,
}

/// Who the business's MFA policy concerns, among its active users.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MfaExposure {
    pub active_users: usize,
    /// Active users with Live access.
    pub live_users: usize,
    /// Active users without MFA.
    pub without_mfa: usize,
    /// Active users with Live access and without MFA.
    pub live_without_mfa: usize,
}

impl Snapshot {
    /// Whether the user holds some environment permission in Live in some tenant of the
    /// business at `now`, MFA aside.
    fn has_live_access(&self, id: &Uuid, user: &UserEntry, now: OffsetDateTime) -> bool {
        self.groups_of(id, user, now).any(|g| {
            g.masks.live != 0 && (0..self.tenants.len() as u32).any(|tenant| g.covers(tenant))
        })
    }

    /// Whether the policies cover `user` for a right in `env` (`None`: a business-scope
    /// right) with a factor they lack: any second factor (the MFA policy), or a passkey
    /// (the passkey policy: Live rights, administration, or everything).
    fn mfa_covers(&self, user: &UserEntry, env: Option<Environment>) -> bool {
        let any_factor = !user.mfa_enrolled
            && match self.settings.mfa_policy {
                MfaPolicy::Off => false,
                MfaPolicy::All => true,
                MfaPolicy::LiveAccess => env == Some(Environment::Live),
            };
        any_factor || (!user.passkey && self.passkey_covers(env))
    }

    /// Whether the passkey policy asks for a passkey for a right in `env`.
    fn passkey_covers(&self, env: Option<Environment>) -> bool {
        match self.settings.passkey_policy {
            PasskeyPolicy::Off => false,
            PasskeyPolicy::All => true,
            PasskeyPolicy::LiveAccess => env == Some(Environment::Live),
            PasskeyPolicy::Administrators => env.is_none(),
        }
    }

    /// Whether the user lacks a passkey the passkey policy asks of them at `now` (for
    /// some right they hold; after any grace): what the account page warns about.
    pub fn passkey_missing(&self, id: UserId, now: OffsetDateTime) -> bool {
        self.user(id).is_some_and(|u| {
            !u.passkey
                && [Some(Environment::Live), Some(Environment::Sandbox), None]
                    .into_iter()
                    .any(|env| {
                        self.passkey_covers(env)
                            && self
                                .mfa_deadline(u)
                                .is_none_or(|d| now.unix_timestamp() >= d)
                    })
        })
    }

    /// When the grace period of `user` ends: from their activation or the policy's last
    /// change, whichever is later. A grace of zero days means none at all, whatever the
    /// clocks of the nodes that stamped those times say.
    fn mfa_deadline(&self, user: &UserEntry) -> Option<i64> {
        let days = i64::from(self.settings.mfa_grace_days);
        if days == 0 {
            return None;
        }
        let from = user
            .active_since
            .max(self.settings.mfa_policy_changed_at.unix_timestamp());
        Some(from + days * 86_400)
    }

    /// Whether the policy, at `now` (unix seconds), denies `user` a right in `env` that
    /// their groups grant (`None`: a business-scope right).
    pub(super) fn mfa_blocks(&self, user: &UserEntry, env: Option<Environment>, now: i64) -> bool {
        self.mfa_covers(user, env) && self.mfa_deadline(user).is_none_or(|d| now >= d)
    }

    /// What the policy asks of the user at `now`; `None` for an unknown user.
    pub fn mfa_requirement(&self, id: UserId, now: OffsetDateTime) -> Option<MfaRequirement> {
        let user = self.user(id)?;
        if user.mfa_enrolled {
            return Some(MfaRequirement::Enrolled);
        }
        let covered = match self.settings.mfa_policy {
            MfaPolicy::Off => false,
            MfaPolicy::All => true,
            MfaPolicy::LiveAccess => self.has_live_access(id.as_uuid(), user, now),
        };
        Some(match (covered, self.mfa_deadline(user)) {
            (false, _) => MfaRequirement::NotRequired,
            (true, Some(d)) if now.unix_timestamp() < d => MfaRequirement::Grace {
                deadline: OffsetDateTime::from_unix_timestamp(d).unwrap_or(now),
            },
            (true, _) => MfaRequirement::Required,
        })
    }

    /// Whether the user has Live access that the policy denies them at `now` for want of
    /// a second factor.
    pub fn mfa_blocks_live(&self, id: UserId, now: OffsetDateTime) -> bool {
        self.user(id).is_some_and(|u| {
            self.has_live_access(id.as_uuid(), u, now)
                && self.mfa_blocks(u, Some(Environment::Live), now.unix_timestamp())
        })
    }

    /// Where the policy denies the user's granted rights at `now`; `None` for an unknown
    /// user. The same rule [`Snapshot::check`] applies, scope by scope.
    pub fn mfa_blocked(&self, id: UserId, now: OffsetDateTime) -> Option<MfaBlocked> {
        let user = self.user(id)?;
        let now = now.unix_timestamp();
        Some(MfaBlocked {
            live: self.mfa_blocks(user, Some(Environment::Live), now),
            sandbox: self.mfa_blocks(user, Some(Environment::Sandbox), now),
            business: self.mfa_blocks(user, None, now),
        })
    }

    /// Who has Live access at `now`, and who has no MFA, among the active users.
    pub fn mfa_exposure(&self, now: OffsetDateTime) -> MfaExposure {
        let mut e = MfaExposure::default();
        for (id, u) in self
            .users
            .iter()
            .filter(|(_, u)| u.status == UserStatus::Active)
        {
            let live = self.has_live_access(id, u, now);
            e.active_users += 1;
            e.live_users += usize::from(live);
            e.without_mfa += usize::from(!u.mfa_enrolled);
            e.live_without_mfa += usize::from(live && !u.mfa_enrolled);
        }
        e
    }
}

impl Snapshot {
    /// Whether the policies ask `id` for a second factor at all, grace aside: the MFA
    /// policy covers them, or a passkey policy is on. Their last factor cannot be removed.
    pub fn second_factor_required(&self, id: UserId, now: OffsetDateTime) -> bool {
        self.users
            .get_key_value(id.as_uuid())
            .is_some_and(|(id, u)| {
                self.settings.passkey_policy != PasskeyPolicy::Off
                    || match self.settings.mfa_policy {
                        MfaPolicy::Off => false,
                        MfaPolicy::All => true,
                        MfaPolicy::LiveAccess => self.has_live_access(id, u, now),
                    }
            })
    }
}
