//! Permission keys as bit positions: environment permissions and business permissions each
//! get a bit in a `u64`, fixed for the life of the process (the catalog is fixed at start).

use rustc_hash::FxHashMap;

use crate::catalog::{Catalog, PermissionKey, PermissionScope};
use crate::grants::Grants;

/// Where a permission lives in a mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionBit {
    Environment(u64),
    Business(u64),
}

/// The catalog, as bits.
#[derive(Debug, Clone)]
pub struct PermissionIndex {
    bits: FxHashMap<Box<str>, PermissionBit>,
    environment: Vec<PermissionKey>,
    business: Vec<PermissionKey>,
}

/// The most permissions of one scope the catalog may have.
pub const MAX_PER_SCOPE: usize = 64;

/// A grant set as masks: `[live, sandbox]` environment bits and business bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Masks {
    pub live: u64,
    pub sandbox: u64,
    pub business: u64,
}

impl PermissionIndex {
    /// Indexes the catalog; permissions beyond [`MAX_PER_SCOPE`] per scope are left out
    /// (the configuration loader refuses such catalogs).
    pub fn new(catalog: &Catalog) -> Self {
        let mut index = Self {
            bits: FxHashMap::default(),
            environment: Vec::new(),
            business: Vec::new(),
        };
        for def in catalog.iter() {
            let (list, make): (&mut Vec<PermissionKey>, fn(u64) -> PermissionBit) = match def.scope
            {
                PermissionScope::Environment => {
                    (&mut index.environment, PermissionBit::Environment)
                }
                PermissionScope::Business => (&mut index.business, PermissionBit::Business),
            };
            if list.len() < MAX_PER_SCOPE {
                let bit = 1u64 << list.len();
                list.push(def.key.clone());
                index.bits.insert(def.key.as_str().into(), make(bit));
            }
        }
        index
    }

    pub fn bit(&self, key: &str) -> Option<PermissionBit> {
        self.bits.get(key).copied()
    }

    /// The masks of a grant set; keys the catalog does not know are dropped (deny).
    pub fn masks(&self, grants: &Grants) -> Masks {
        let env = |keys: &std::collections::BTreeSet<PermissionKey>| {
            keys.iter()
                .filter_map(|k| match self.bit(k.as_str()) {
                    Some(PermissionBit::Environment(b)) => Some(b),
                    _ => None,
                })
                .fold(0, |m, b| m | b)
        };
        let business = grants
            .business
            .iter()
            .filter_map(|k| match self.bit(k.as_str()) {
                Some(PermissionBit::Business(b)) => Some(b),
                _ => None,
            })
            .fold(0, |m, b| m | b);
        Masks {
            live: env(&grants.live),
            sandbox: env(&grants.sandbox),
            business,
        }
    }

    /// The keys of the set bits of an environment mask, in catalog order.
    pub fn environment_keys(&self, mask: u64) -> impl Iterator<Item = &PermissionKey> {
        self.environment
            .iter()
            .enumerate()
            .filter(move |(i, _)| mask & (1 << i) != 0)
            .map(|(_, k)| k)
    }

    /// The keys of the set bits of a business mask, in catalog order.
    pub fn business_keys(&self, mask: u64) -> impl Iterator<Item = &PermissionKey> {
        self.business
            .iter()
            .enumerate()
            .filter(move |(i, _)| mask & (1 << i) != 0)
            .map(|(_, k)| k)
    }

    pub fn environment_count(&self) -> usize {
        self.environment.len()
    }

    pub fn business_count(&self) -> usize {
        self.business.len()
    }
}
