//! What an API key may use now: its grants, within what its maker holds now. A key made by a
//! user stops the moment the user is no longer active and narrows when the user's groups do;
//! a key made by another key is held to that key's grants and, through it, to the user (or
//! operator) at the root. Revoking a key does not end the keys it made (that is how keys are
//! rotated), but deactivating the user at the root ends them all.

use std::sync::Arc;

use time::OffsetDateTime;

use super::{KeyEntry, Snapshot};
use crate::data::KeyCreator;
use crate::grants::Grants;
use crate::index::{Masks, PermissionIndex};
use crate::model::UserStatus;

/// How many makers deep a chain of keys is followed; deeper is refused.
const MAX_CHAIN: usize = 16;

const EVERYTHING: Masks = Masks {
    live: u64::MAX,
    sandbox: u64::MAX,
    business: u64::MAX,
};

fn intersect(a: Masks, b: Masks) -> Masks {
    Masks {
        live: a.live & b.live,
        sandbox: a.sandbox & b.sandbox,
        business: a.business & b.business,
    }
}

impl Snapshot {
    /// The rights `key` may use now; `None` when its maker can no longer act (a user who is
    /// not active or is gone), which makes the key unusable.
    /// `now` ends the maker's temporary memberships.
    pub fn key_grants(
        &self,
        perms: &PermissionIndex,
        key: &KeyEntry,
        now: OffsetDateTime,
    ) -> Option<Arc<Grants>> {
        let limit = self.maker_limit(perms, key.creator, MAX_CHAIN, now)?;
        let own = perms.masks(&key.grants);
        let kept = intersect(own, limit);
        if kept == own {
            return Some(key.grants.clone());
        }
        // Back from masks to keys through the index: what the catalog does not know is
        // dropped, as checks deny it anyway.
        Some(Arc::new(Grants {
            business: perms.business_keys(kept.business).cloned().collect(),
            live: perms.environment_keys(kept.live).cloned().collect(),
            sandbox: perms.environment_keys(kept.sandbox).cloned().collect(),
        }))
    }

    /// The most a key made by `maker` may hold, as masks. A user's limit is what they hold
    /// business-wide (a key's environment grants apply in every tenant), MFA aside: the
    /// second factor guards the user's own sign-ins, not the machine credential.
    fn maker_limit(
        &self,
        perms: &PermissionIndex,
        maker: KeyCreator,
        depth: usize,
        now: OffsetDateTime,
    ) -> Option<Masks> {
        match maker {
            KeyCreator::Operator => Some(EVERYTHING),
            KeyCreator::User(id) => {
                let user = self.user(id)?;
                if user.status != UserStatus::Active {
                    return None;
                }
                Some(
                    self.groups_of(id.as_uuid(), user, now)
                        .fold(Masks::default(), |m, g| Masks {
                            business: m.business | g.masks.business,
                            live: m.live | if g.all_tenants { g.masks.live } else { 0 },
                            sandbox: m.sandbox | if g.all_tenants { g.masks.sandbox } else { 0 },
                        }),
                )
            }
            KeyCreator::ApiKey(id) => {
                let parent = self.api_keys.get(id.as_uuid())?;
                let limit = self.maker_limit(perms, parent.creator, depth.checked_sub(1)?, now)?;
                Some(intersect(perms.masks(&parent.grants), limit))
            }
        }
    }
}
