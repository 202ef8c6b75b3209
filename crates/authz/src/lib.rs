//! The authorization engine. Each node keeps an immutable snapshot of every business's
//! access model, swapped atomically ([`arc_swap`]); checks read the current snapshot and never
//! touch the database or a lock a writer holds. Writes refresh the writing node's snapshot
//! before they return (read-your-writes); other nodes follow through the change feed
//! (the domain's feed, [`AccessEngine::follow`]), reading which businesses moved since its
//! last pass. It reads storage only through [`AccessSource`].

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

use std::hash::BuildHasher;

use arc_swap::{ArcSwap, ArcSwapOption};
use rustc_hash::FxHashMap;

pub use claims::{AccessClaim, TenantRights, access_claim};
pub use data::{AccessChanges, AccessModelData, ApiKeyData, GroupData, KeyCreator, UserData};
pub use index::PermissionIndex;
pub use snapshot::{
    CheckQuery, Decision, KeyEntry, MfaBlocked, MfaExposure, MfaRequirement, Reason, Snapshot,
};

pub use source::{AccessSource, FeedCursor};

// The core vocabulary, under the paths the engine's modules name it by.
pub(crate) use gatehouse_core::{actor, catalog, error, grants, ids, model, types};

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::ids::{ApiKeyId, BusinessId};

/// Every business's place, and which business each API key belongs to. The map changes
/// only when a business first loads or its set of API keys changes; a new snapshot of a known
/// business swaps into its slot without copying the map.
#[derive(Debug, Default, Clone)]
struct Registry {
    businesses: FxHashMap<BusinessId, Arc<ArcSwapOption<Snapshot>>>,
    keys: FxHashMap<ApiKeyId, BusinessId>,
}

/// Writer locks: a business's writers take the lock of its stripe, so a refresh that waits on
/// the database holds up only the businesses that share it (1 in [`WRITER_STRIPES`]), and the
/// locks' memory stays the same however many businesses there are.
const WRITER_STRIPES: usize = 64;

/// How many businesses [`AccessEngine::load_all`] loads at once: enough to keep a few
/// database connections busy while snapshots build, far below a pool's size.
const LOAD_CONCURRENCY: usize = 4;

/// The node's access engine.
#[derive(Debug)]
pub struct AccessEngine {
    registry: ArcSwap<Registry>,
    perms: Arc<PermissionIndex>,
    /// Serialises writers per business (by stripe); readers never take them.
    writers: Box<[tokio::sync::Mutex<()>]>,
    /// Serialises changes to the registry's map. Held for an in-memory copy, never across I/O.
    reshaping: std::sync::Mutex<()>,
    /// Where the change feed has read up to; `None` until its first pass.
    feed: tokio::sync::Mutex<Option<FeedCursor>>,
}

impl AccessEngine {
    pub fn new(catalog: &Catalog) -> Self {
        Self {
            registry: ArcSwap::from_pointee(Registry::default()),
            perms: Arc::new(PermissionIndex::new(catalog)),
            writers: (0..WRITER_STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
            reshaping: std::sync::Mutex::new(()),
            feed: tokio::sync::Mutex::new(None),
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
        self.registry
            .load()
            .businesses
            .get(&business)
            .and_then(|slot| slot.load_full())
    }

    /// The snapshot holding API key `id`, if any loaded snapshot does.
    pub fn snapshot_for_key(&self, id: ApiKeyId) -> Option<Arc<Snapshot>> {
        let registry = self.registry.load();
        let business = registry.keys.get(&id)?;
        registry.businesses.get(business)?.load_full()
    }

    /// The change sequence each loaded business is at.
    pub fn loaded_seqs(&self) -> FxHashMap<BusinessId, i64> {
        self.registry
            .load()
            .businesses
            .iter()
            .filter_map(|(b, slot)| Some((*b, slot.load().as_ref()?.seq())))
            .collect()
    }

    fn writer(&self, business: BusinessId) -> &tokio::sync::Mutex<()> {
        let stripe = rustc_hash::FxBuildHasher.hash_one(business) as usize % self.writers.len();
        &self.writers[stripe]
    }

    /// Puts `snapshot` in place of the business's current one (`None` drops it: checks fail
    /// closed). Called with the business's writer lock held.
    fn publish(&self, business: BusinessId, snapshot: Option<Snapshot>) {
        let snapshot = snapshot.map(Arc::new);
        let registry = self.registry.load();
        let Some(slot) = registry.businesses.get(&business) else {
            if snapshot.is_none() {
                // Nothing to drop (a business that does not exist stays out of the map).
                return;
            }
            drop(registry);
            return self.reshape(business, snapshot);
        };
        let keys_moved = match (slot.load().as_deref(), snapshot.as_deref()) {
            (Some(old), Some(new)) => !same_keys(old, new),
            (None, Some(_)) => true,
            (_, None) => false,
        };
        if keys_moved {
            drop(registry);
            self.reshape(business, snapshot);
        } else {
            slot.store(snapshot);
        }
    }

    /// [`Self::publish`] when the map changes: a copy of it with the business's slot and keys.
    fn reshape(&self, business: BusinessId, snapshot: Option<Arc<Snapshot>>) {
        let _reshaping = self.reshaping.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = Registry::clone(&self.registry.load());
        next.keys.retain(|_, b| *b != business);
        if let Some(s) = &snapshot {
            next.keys.extend(s.api_key_ids().map(|k| (k, business)));
        }
        let slot = next.businesses.entry(business).or_default().clone();
        slot.store(snapshot);
        self.registry.store(Arc::new(next));
    }

    /// Loads every business from storage (at start), [`LOAD_CONCURRENCY`] at a time.
    pub async fn load_all(&self, store: &dyn AccessSource) -> Result<usize> {
        use futures_util::{StreamExt, TryStreamExt};
        let seqs = store.list_change_seqs().await?;
        futures_util::stream::iter(&seqs)
            .map(|(business, _)| self.reload(store, *business))
            .buffer_unordered(LOAD_CONCURRENCY)
            .try_collect::<()>()
            .await?;
        Ok(seqs.len())
    }

    /// Replaces a business's snapshot with a fresh build from storage.
    pub async fn reload(&self, store: &dyn AccessSource, business: BusinessId) -> Result<()> {
        let _writer = self.writer(business).lock().await;
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
        let _writer = self.writer(business).lock().await;
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

    /// One pass of the change feed: refreshes every business that moved since the last pass.
    /// The cursor advances only when every refresh succeeded, so a business whose refresh
    /// failed (and whose snapshot was dropped) is listed again next pass.
    pub async fn follow(&self, store: &dyn AccessSource) -> Result<usize> {
        let mut cursor = self.feed.lock().await;
        let (moved, next) = store.list_changes_since(*cursor).await?;
        let mut refreshed = 0;
        let mut failed = false;
        for (business, seq) in moved {
            if self.snapshot(business).is_some_and(|s| s.seq() >= seq) {
                continue;
            }
            match self.refresh(store, business).await {
                Ok(()) => refreshed += 1,
                Err(_) => failed = true,
            }
        }
        if !failed {
            *cursor = Some(next);
        }
        Ok(refreshed)
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

/// Whether two snapshots of a business hold the same API keys.
fn same_keys(a: &Snapshot, b: &Snapshot) -> bool {
    let mut a: Vec<_> = a.api_key_ids().collect();
    let mut b: Vec<_> = b.api_key_ids().collect();
    a.len() == b.len() && {
        a.sort_unstable();
        b.sort_unstable();
        a == b
    }
}
