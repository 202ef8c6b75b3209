//! The authorization engine. Each node keeps an immutable snapshot of every business's
//! access model, swapped atomically ([`arc_swap`]); checks read the current snapshot and never
//! touch the database or a lock a writer holds. Writes refresh the writing node's snapshot
//! before they return (read-your-writes); other nodes follow through the change feed
//! (the domain's feed), polling each business's change sequence. It reads storage only
//! through [`AccessSource`].

pub mod claims;
pub mod data;
pub mod index;
pub mod matrix;
pub mod preview;
pub mod snapshot;
pub mod source;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use arc_swap::ArcSwap;
use rustc_hash::FxHashMap;

pub use claims::{AccessClaim, TenantRights, access_claim};
pub use data::{AccessChanges, AccessModelData, ApiKeyData, GroupData, KeyCreator, UserData};
pub use index::PermissionIndex;
pub use snapshot::{
    CheckQuery, Decision, KeyEntry, MfaBlocked, MfaExposure, MfaRequirement, Reason, Snapshot,
};

pub use source::AccessSource;

// The core vocabulary, under the paths the engine's modules name it by.
pub(crate) use gatehouse_core::{actor, catalog, error, grants, ids, model, types};

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::ids::{ApiKeyId, BusinessId};

/// Every business's snapshot, and which business each API key belongs to.
#[derive(Debug, Default, Clone)]
struct Registry {
    businesses: FxHashMap<BusinessId, Arc<Snapshot>>,
    keys: FxHashMap<ApiKeyId, BusinessId>,
}

/// The node's access engine.
#[derive(Debug)]
pub struct AccessEngine {
    registry: ArcSwap<Registry>,
    perms: Arc<PermissionIndex>,
    /// Serialises writers of the registry; readers never take it.
    writer: tokio::sync::Mutex<()>,
}

impl AccessEngine {
    pub fn new(catalog: &Catalog) -> Self {
        Self {
            registry: ArcSwap::from_pointee(Registry::default()),
            perms: Arc::new(PermissionIndex::new(catalog)),
            writer: tokio::sync::Mutex::new(()),
        }
    }

    pub fn permissions(&self) -> &PermissionIndex {
        &self.perms
    }

    /// The permission index, shared (user principals carry it).
    pub fn permissions_shared(&self) -> Arc<PermissionIndex> {
        self.perms.clone()
    }

    /// The current snapshot of a business, if loaded.
    pub fn snapshot(&self, business: BusinessId) -> Option<Arc<Snapshot>> {
        self.registry.load().businesses.get(&business).cloned()
    }

    /// The snapshot holding API key `id`, if any loaded snapshot does.
    pub fn snapshot_for_key(&self, id: ApiKeyId) -> Option<Arc<Snapshot>> {
        let registry = self.registry.load();
        let business = registry.keys.get(&id)?;
        registry.businesses.get(business).cloned()
    }

    /// The change sequence each loaded business is at.
    pub fn loaded_seqs(&self) -> FxHashMap<BusinessId, i64> {
        self.registry
            .load()
            .businesses
            .iter()
            .map(|(b, s)| (*b, s.seq()))
            .collect()
    }

    fn publish(&self, business: BusinessId, snapshot: Option<Snapshot>) {
        let mut next = Registry::clone(&self.registry.load());
        next.keys.retain(|_, b| *b != business);
        match snapshot {
            Some(s) => {
                next.keys.extend(s.api_key_ids().map(|k| (k, business)));
                next.businesses.insert(business, Arc::new(s));
            }
            None => {
                next.businesses.remove(&business);
            }
        }
        self.registry.store(Arc::new(next));
    }

    /// Loads every business from storage (at start).
    pub async fn load_all(&self, store: &dyn AccessSource) -> Result<usize> {
        let seqs = store.list_change_seqs().await?;
        for (business, _) in &seqs {
            self.reload(store, *business).await?;
        }
        Ok(seqs.len())
    }

    /// Replaces a business's snapshot with a fresh build from storage.
    pub async fn reload(&self, store: &dyn AccessSource, business: BusinessId) -> Result<()> {
        let _writer = self.writer.lock().await;
        self.reload_locked(store, business).await
    }

    async fn reload_locked(&self, store: &dyn AccessSource, business: BusinessId) -> Result<()> {
        let snapshot = store
            .load_access_model(business)
            .await?
            .map(|data| Snapshot::build(business, &data, &self.perms));
        self.publish(business, snapshot);
        Ok(())
    }

    /// Brings a business's snapshot up to the latest committed change, loading only what
    /// changed when the change records allow it. On failure the snapshot is dropped, so
    /// checks fail closed until a reload succeeds.
    pub async fn refresh(&self, store: &dyn AccessSource, business: BusinessId) -> Result<()> {
        let _writer = self.writer.lock().await;
        let result = self.refresh_locked(store, business).await;
        if let Err(e) = &result {
            tracing::error!(%business, error = %e, "access snapshot refresh failed; dropping it until reloaded");
            self.publish(business, None);
        }
        result
    }

    async fn refresh_locked(&self, store: &dyn AccessSource, business: BusinessId) -> Result<()> {
        let Some(current) = self.snapshot(business) else {
            return self.reload_locked(store, business).await;
        };
        let Some(changes) = store.list_access_changes(business, current.seq()).await? else {
            return self.reload_locked(store, business).await;
        };
        if changes.reload {
            return self.reload_locked(store, business).await;
        }
        if changes.seq <= current.seq() {
            return Ok(());
        }
        let groups: Vec<_> = changes.groups.iter().copied().collect();
        let users: Vec<_> = changes.users.iter().copied().collect();
        let keys: Vec<_> = changes.api_keys.iter().copied().collect();
        let group_data = store.load_access_groups(business, &groups).await?;
        let user_data = store.load_access_users(business, &users).await?;
        let key_data = store.load_access_api_keys(business, &keys).await?;
        let next = current.patched(
            changes.seq,
            &self.perms,
            (&groups, &group_data),
            &user_data,
            (&keys, &key_data),
        );
        self.publish(business, Some(next));
        Ok(())
    }

    /// The snapshot of `business`, loading it on first use.
    pub async fn snapshot_or_load(
        &self,
        store: &dyn AccessSource,
        business: BusinessId,
    ) -> Result<Arc<Snapshot>> {
        if let Some(s) = self.snapshot(business) {
            return Ok(s);
        }
        self.reload(store, business).await?;
        self.snapshot(business).ok_or(Error::BusinessNotFound)
    }
}
