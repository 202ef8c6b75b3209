//! Building a snapshot from a whole access model, and patching one with what changed: the
//! writer's side of the engine. Readers only ever see finished snapshots.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::{GroupEntry, INLINE_GROUPS, KeyEntry, Snapshot, TenantBits, UserEntry};
use crate::data::{AccessModelData, ApiKeyData, GroupData, UserData};
use crate::ids::{ApiKeyId, BusinessId, GroupId};
use crate::index::PermissionIndex;
use crate::model::GroupScope;
use gatehouse_core::clock::to_micros;

impl Snapshot {
    /// Builds the snapshot of a whole access model.
    pub fn build(business: BusinessId, data: &AccessModelData, perms: &PermissionIndex) -> Self {
        let mut snap = Snapshot {
            business,
            seq: data.seq,
            settings: data.settings.clone(),
            tenant_index: FxHashMap::default(),
            tenants: Vec::with_capacity(data.tenants.len()),
            group_index: FxHashMap::default(),
            groups: Vec::with_capacity(data.groups.len()),
            users: FxHashMap::default(),
            spilled: Vec::new(),
            expiries: FxHashMap::default(),
            api_keys: FxHashMap::default(),
        };
        snap.users.reserve(data.users.len());
        for (i, t) in data.tenants.iter().enumerate() {
            snap.tenant_index.insert(*t.as_uuid(), i as u32);
            snap.tenants.push(*t);
        }
        for g in &data.groups {
            snap.upsert_group(g, perms);
        }
        for u in &data.users {
            snap.upsert_user(u);
        }
        for k in &data.api_keys {
            snap.upsert_api_key(k);
        }
        snap
    }

    fn group_entry(&self, g: &GroupData, perms: &PermissionIndex) -> GroupEntry {
        let (all_tenants, tenants) = match &g.scope {
            GroupScope::Business => (true, TenantBits::Inline([0; 4])),
            GroupScope::Tenants(set) => {
                let mut words = vec![0u64; self.tenants.len().div_ceil(64)];
                for t in set {
                    if let Some(&i) = self.tenant_index.get(t.as_uuid()) {
                        words[(i / 64) as usize] |= 1 << (i % 64);
                    }
                }
                (false, TenantBits::from_words(words))
            }
        };
        GroupEntry {
            id: g.id,
            name: g.name.clone(),
            all_tenants,
            tenants,
            masks: perms.masks(&g.grants),
        }
    }

    fn upsert_group(&mut self, g: &GroupData, perms: &PermissionIndex) {
        let entry = self.group_entry(g, perms);
        match self.group_index.get(g.id.as_uuid()) {
            Some(&i) => self.groups[i as usize] = Some(entry),
            None => {
                self.group_index
                    .insert(*g.id.as_uuid(), self.groups.len() as u32);
                self.groups.push(Some(entry));
            }
        }
    }

    fn upsert_user(&mut self, u: &UserData) {
        let indices: Vec<u32> = u
            .groups
            .iter()
            .filter_map(|g| self.group_index.get(g.as_uuid()).copied())
            .collect();
        let mut inline = [0u32; INLINE_GROUPS];
        let n = indices.len().min(INLINE_GROUPS);
        inline[..n].copy_from_slice(&indices[..n]);
        let spill = self.spilled.len() as u32;
        if indices.len() > INLINE_GROUPS {
            self.spilled.extend_from_slice(&indices[INLINE_GROUPS..]);
        }
        let ends: Vec<(u32, i64)> = u
            .expiring
            .iter()
            .filter_map(|(g, end)| {
                let i = *self.group_index.get(g.as_uuid())?;
                Some((i, to_micros(*end)))
            })
            .collect();
        let expiring = !ends.is_empty();
        if expiring {
            self.expiries.insert(*u.id.as_uuid(), ends.into());
        } else {
            self.expiries.remove(u.id.as_uuid());
        }
        let entry = UserEntry {
            status: u.status,
            mfa_enrolled: u.mfa_enrolled,
            passkey: u.passkey,
            expiring,
            len: indices.len() as u32,
            inline,
            spill,
            active_since: u.active_since.unix_timestamp(),
        };
        self.users.insert(*u.id.as_uuid(), entry);
    }

    fn upsert_api_key(&mut self, k: &ApiKeyData) {
        let entry = KeyEntry {
            id: k.id,
            business_id: self.business,
            name: k.name.clone(),
            secret_hash: k.secret_hash,
            grants: Arc::new(k.grants.clone()),
            expires_at: k.expires_at,
            revoked: k.revoked,
            creator: k.creator,
        };
        self.api_keys.insert(*k.id.as_uuid(), Arc::new(entry));
    }

    /// A copy with some users, groups and keys reloaded. Groups asked for but not found were
    /// deleted; their members' changes arrive as user changes.
    pub fn patched(
        &self,
        seq: i64,
        perms: &PermissionIndex,
        groups: (&[GroupId], &[GroupData]),
        users: &[UserData],
        keys: (&[ApiKeyId], &[ApiKeyData]),
    ) -> Self {
        let mut next = self.clone();
        next.seq = seq;
        for id in groups.0 {
            if let Some(&i) = next.group_index.get(id.as_uuid()) {
                next.groups[i as usize] = None;
            }
        }
        for g in groups.1 {
            next.upsert_group(g, perms);
        }
        for u in users {
            next.upsert_user(u);
        }
        for id in keys.0 {
            next.api_keys.remove(id.as_uuid());
        }
        for k in keys.1 {
            next.upsert_api_key(k);
        }
        next
    }
}
