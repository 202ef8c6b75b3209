//! An immutable, versioned picture of one business's access model, laid out for checks: ids
//! map to dense integers, permissions to bits, tenant sets to bitsets. A check is a few hash
//! lookups and a walk over the user's groups; it never allocates unless access is granted.

use std::sync::Arc;

use gatehouse_core::clock::to_micros;
use rustc_hash::FxHashMap;
use time::OffsetDateTime;
use uuid::Uuid;

use super::data::KeyCreator;
use super::index::{Masks, PermissionBit, PermissionIndex};
use crate::error::{Error, Result};
use crate::grants::Grants;
use crate::ids::{ApiKeyId, BusinessId, GroupId, TenantId, UserId};
use crate::model::{SecuritySettings, UserStatus};
use crate::types::{ApiKeyName, Environment, GroupName};

mod build;
mod keys;
mod mfa;
mod reason;
pub use mfa::{MfaBlocked, MfaExposure, MfaRequirement};
pub use reason::Reason;

/// The answer to "may user U use permission P in tenant T, environment E?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub reason: Reason,
    /// When allowed: every group that grants it.
    pub granted_by: Vec<GroupId>,
}

impl Decision {
    fn deny(reason: Reason) -> Self {
        Self {
            allowed: false,
            reason,
            granted_by: Vec::new(),
        }
    }
}

/// One question. Environment permissions need `tenant` and `environment`; business
/// permissions ignore them.
#[derive(Debug, Clone, Copy)]
pub struct CheckQuery<'a> {
    pub user: UserId,
    pub permission: &'a str,
    pub tenant: Option<TenantId>,
    pub environment: Option<Environment>,
}

/// How many group indices a user entry holds inline; more spill into the shared pool.
const INLINE_GROUPS: usize = 3;

/// A user as the check path reads it: stored inline in the id map, so one lookup finds
/// everything (for up to three groups).
#[derive(Debug, Clone, Copy)]
pub(crate) struct UserEntry {
    status: UserStatus,
    mfa_enrolled: bool,
    passkey: bool,
    /// Some membership ends (temporary access): [`Snapshot::expiries`] says which and when.
    /// Kept in the entry's padding, so users without one pay nothing.
    expiring: bool,
    len: u32,
    /// Group indices, the first [`INLINE_GROUPS`] of them.
    inline: [u32; INLINE_GROUPS],
    /// Where the rest start in [`Snapshot::spilled`].
    spill: u32,
    /// Unix seconds.
    active_since: i64,
}

/// A tenant set as a bitset over tenant indices: inline up to 256 tenants (no pointer to
/// chase on the check path), shared on the heap beyond.
#[derive(Debug, Clone)]
enum TenantBits {
    Inline([u64; 4]),
    Heap(Arc<[u64]>),
}

impl TenantBits {
    fn from_words(words: Vec<u64>) -> Self {
        if words.len() <= 4 {
            let mut inline = [0u64; 4];
            inline[..words.len()].copy_from_slice(&words);
            TenantBits::Inline(inline)
        } else {
            TenantBits::Heap(words.into())
        }
    }

    fn contains(&self, tenant: u32) -> bool {
        let words: &[u64] = match self {
            TenantBits::Inline(w) => w,
            TenantBits::Heap(w) => w,
        };
        words
            .get((tenant / 64) as usize)
            .is_some_and(|w| w & (1 << (tenant % 64)) != 0)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct GroupEntry {
    pub(crate) masks: Masks,
    all_tenants: bool,
    tenants: TenantBits,
    pub(crate) id: GroupId,
    pub(crate) name: GroupName,
}

impl GroupEntry {
    fn covers(&self, tenant: u32) -> bool {
        self.all_tenants || self.tenants.contains(tenant)
    }

    fn mask(&self, env: Environment) -> u64 {
        match env {
            Environment::Live => self.masks.live,
            Environment::Sandbox => self.masks.sandbox,
        }
    }
}

/// An API key as authentication needs it.
#[derive(Debug, Clone)]
pub struct KeyEntry {
    pub id: ApiKeyId,
    pub business_id: BusinessId,
    pub name: ApiKeyName,
    pub secret_hash: [u8; 32],
    pub grants: Arc<Grants>,
    pub expires_at: Option<OffsetDateTime>,
    pub revoked: bool,
    pub creator: KeyCreator,
}

/// The access model of one business at one change sequence number.
#[derive(Debug, Clone)]
pub struct Snapshot {
    business: BusinessId,
    seq: i64,
    settings: SecuritySettings,
    tenant_index: FxHashMap<Uuid, u32>,
    tenants: Vec<TenantId>,
    group_index: FxHashMap<Uuid, u32>,
    groups: Vec<Option<GroupEntry>>,
    users: FxHashMap<Uuid, UserEntry>,
    /// Group indices of users in more than [`INLINE_GROUPS`] groups, beyond the inline ones.
    spilled: Vec<u32>,
    /// For users whose entry says `expiring`: (group index, end in unix microseconds) of each
    /// membership that ends. From that instant the check treats it as absent, on every node,
    /// whether or not the sweeper has removed it yet.
    expiries: FxHashMap<Uuid, Arc<[(u32, i64)]>>,
    api_keys: FxHashMap<Uuid, Arc<KeyEntry>>,
}

impl Snapshot {
    pub fn business(&self) -> BusinessId {
        self.business
    }

    pub fn seq(&self) -> i64 {
        self.seq
    }

    pub fn settings(&self) -> &SecuritySettings {
        &self.settings
    }

    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    pub fn api_key(&self, id: ApiKeyId) -> Option<&Arc<KeyEntry>> {
        self.api_keys.get(id.as_uuid())
    }

    pub(crate) fn api_key_ids(&self) -> impl Iterator<Item = ApiKeyId> + '_ {
        self.api_keys.values().map(|k| k.id)
    }

    pub fn group_name(&self, id: GroupId) -> Option<&GroupName> {
        let i = *self.group_index.get(id.as_uuid())?;
        self.groups[i as usize].as_ref().map(|g| &g.name)
    }

    pub fn tenants(&self) -> &[TenantId] {
        &self.tenants
    }

    pub fn has_tenant(&self, id: TenantId) -> bool {
        self.tenant_index.contains_key(id.as_uuid())
    }

    fn user(&self, id: UserId) -> Option<&UserEntry> {
        self.users.get(id.as_uuid())
    }

    /// The groups `user` (whose id is `id`) is a member of at `now`: a membership that has
    /// ended is absent from its end on.
    fn groups_of<'a>(
        &'a self,
        id: &Uuid,
        user: &'a UserEntry,
        now: OffsetDateTime,
    ) -> impl Iterator<Item = &'a GroupEntry> + 'a {
        // Users without temporary access (nearly all) skip the clock conversion and the
        // comparison altogether.
        let (ended, now): (&[(u32, i64)], i64) = match user.expiring {
            true => (self.expiries.get(id).map_or(&[], |e| e), to_micros(now)),
            false => (&[], 0),
        };
        let inline = &user.inline[..(user.len as usize).min(INLINE_GROUPS)];
        let spilled = match (user.len as usize).checked_sub(INLINE_GROUPS) {
            Some(extra) if extra > 0 => {
                &self.spilled[user.spill as usize..user.spill as usize + extra]
            }
            _ => &[],
        };
        inline
            .iter()
            .chain(spilled)
            .filter(move |&&g| !ended.iter().any(|&(e, end)| e == g && now >= end))
            .filter_map(|&g| self.groups[g as usize].as_ref())
    }

    /// Decides one question. `now` is for the MFA grace period. A question that cannot be
    /// asked (an environment permission without tenant or environment) is an error.
    pub fn check(
        &self,
        perms: &PermissionIndex,
        q: &CheckQuery<'_>,
        now: OffsetDateTime,
    ) -> Result<Decision> {
        let Some(bit) = perms.bit(q.permission) else {
            return Ok(Decision::deny(Reason::PermissionUnknown));
        };
        let scope = match bit {
            PermissionBit::Environment(bit) => {
                let (Some(tenant), Some(env)) = (q.tenant, q.environment) else {
                    return Err(Error::invalid(
                        "tenant_required",
                        "tenant_id",
                        "environment permissions are checked in a tenant and an environment",
                    ));
                };
                Some((bit, tenant, env))
            }
            PermissionBit::Business(_) => None,
        };
        let Some(user) = self.user(q.user) else {
            return Ok(Decision::deny(Reason::UserUnknown));
        };
        let tenant = match scope {
            Some((_, tenant, _)) => match self.tenant_index.get(tenant.as_uuid()) {
                Some(&t) => Some(t),
                None => return Ok(Decision::deny(Reason::TenantUnknown)),
            },
            None => None,
        };
        if user.status != UserStatus::Active {
            return Ok(Decision::deny(Reason::UserInactive));
        }
        let mut granted_by = Vec::new();
        for group in self.groups_of(q.user.as_uuid(), user, now) {
            let grants = match (scope, bit) {
                (Some((bit, _, env)), _) => {
                    group.mask(env) & bit != 0 && tenant.is_some_and(|t| group.covers(t))
                }
                (None, PermissionBit::Business(bit)) => group.masks.business & bit != 0,
                (None, PermissionBit::Environment(_)) => false,
            };
            if grants {
                granted_by.push(group.id);
            }
        }
        if granted_by.is_empty() {
            return Ok(Decision::deny(Reason::NoGrant));
        }
        if self.mfa_blocks(user, scope.map(|(_, _, env)| env), now.unix_timestamp()) {
            return Ok(Decision::deny(Reason::MfaRequired));
        }
        Ok(Decision {
            allowed: true,
            reason: Reason::Granted,
            granted_by,
        })
    }

    /// The user's status and groups at `now`, for the effective-permissions view; `None`
    /// for an unknown user.
    pub(crate) fn user_groups(
        &self,
        id: UserId,
        now: OffsetDateTime,
    ) -> Option<(UserStatus, Vec<&GroupEntry>)> {
        let user = self.user(id)?;
        Some((
            user.status,
            self.groups_of(id.as_uuid(), user, now).collect(),
        ))
    }

    /// When the membership of `user` in `group` ends, if it is temporary.
    pub fn membership_end(&self, user: UserId, group: GroupId) -> Option<OffsetDateTime> {
        let g = *self.group_index.get(group.as_uuid())?;
        let (_, end) = self
            .expiries
            .get(user.as_uuid())?
            .iter()
            .find(|(e, _)| *e == g)?;
        Some(gatehouse_core::clock::from_micros(*end))
    }

    /// Whether group `g` covers the tenant at `index` in [`Snapshot::tenants`].
    pub(crate) fn covers(g: &GroupEntry, index: usize) -> bool {
        g.covers(index as u32)
    }

    /// Ids of every user, in snapshot order.
    pub(crate) fn user_ids(&self) -> impl Iterator<Item = UserId> + '_ {
        self.users.keys().map(|u| UserId::from_uuid(*u))
    }

    /// The groups that grant anything in `tenant`: business groups and the tenants groups
    /// whose set holds it. None for an unknown tenant.
    pub fn groups_covering(&self, tenant: TenantId) -> Vec<GroupId> {
        let Some(&index) = self.tenant_index.get(tenant.as_uuid()) else {
            return Vec::new();
        };
        self.groups
            .iter()
            .flatten()
            .filter(|g| g.covers(index))
            .map(|g| g.id)
            .collect()
    }

    /// Whether the user exists and is active.
    pub fn is_active(&self, id: UserId) -> bool {
        self.user(id)
            .is_some_and(|u| u.status == UserStatus::Active)
    }

    /// Whether the user holds `permission` in `env` through a business-wide group: in every
    /// tenant, including tenants created later.
    pub fn holds_business_wide(
        &self,
        perms: &PermissionIndex,
        id: UserId,
        permission: &str,
        env: Environment,
        now: OffsetDateTime,
    ) -> bool {
        let (Some(user), Some(PermissionBit::Environment(bit))) =
            (self.user(id), perms.bit(permission))
        else {
            return false;
        };
        user.status == UserStatus::Active
            && !self.mfa_blocks(user, Some(env), now.unix_timestamp())
            && self
                .groups_of(id.as_uuid(), user, now)
                .any(|g| g.all_tenants && g.mask(env) & bit != 0)
    }
}
