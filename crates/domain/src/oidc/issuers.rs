//! The issuers: one per business, `{public_url}/b/{slug}`, each with its discovery document
//! serialized once. Kept in memory by slug (a slug never changes and a business is never
//! deleted, so an entry never goes stale); a slug not yet known is looked up in the
//! database, at most [`LOOKUPS_PER_SECOND`] times a second on this node, so requests for
//! made-up slugs cannot turn into a query each.

use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use gatehouse_oidc::ProviderMetadata;
use rustc_hash::FxHashMap;

use crate::Gatehouse;
use crate::error::{Error, Result};
use crate::ids::BusinessId;
use crate::types::Slug;

/// Database look-ups of unknown slugs allowed per second on one node.
pub const LOOKUPS_PER_SECOND: u32 = 20;

/// A business as an OpenID Provider.
#[derive(Debug)]
pub struct OidcIssuer {
    pub business_id: BusinessId,
    pub slug: Slug,
    /// The `iss` of its tokens: `{public_url}/b/{slug}`.
    pub issuer: String,
    discovery: Arc<str>,
}

impl OidcIssuer {
    /// The discovery document, serialized.
    pub fn discovery_json(&self) -> Arc<str> {
        self.discovery.clone()
    }
}

#[derive(Debug, Default)]
pub(crate) struct Issuers {
    known: ArcSwap<FxHashMap<String, Arc<OidcIssuer>>>,
    /// The second (unix) and how many look-ups ran in it.
    lookups: Mutex<(i64, u32)>,
}

impl Issuers {
    /// Whether another database look-up fits in this second's budget.
    fn take_lookup(&self, second: i64) -> bool {
        let Ok(mut window) = self.lookups.lock() else {
            return false;
        };
        if window.0 != second {
            *window = (second, 0);
        }
        window.1 += 1;
        window.1 <= LOOKUPS_PER_SECOND
    }
}

impl Gatehouse {
    /// The issuer of the business `slug`: `BusinessNotFound` when there is none,
    /// `RateLimited` when too many unknown slugs are being asked for at once. From memory
    /// once the business is known.
    pub async fn oidc_issuer(&self, slug: &str) -> Result<Arc<OidcIssuer>> {
        let issuers = &self.oidc.issuers;
        if let Some(found) = issuers.known.load().get(slug) {
            return Ok(found.clone());
        }
        let slug = Slug::parse(slug).map_err(|_| Error::BusinessNotFound)?;
        if !issuers.take_lookup(self.now().unix_timestamp()) {
            return Err(Error::RateLimited {
                retry_after_secs: 1,
            });
        }
        let business = self
            .business_by_slug(&slug)
            .await?
            .ok_or(Error::BusinessNotFound)?;
        let issuer = format!(
            "{}/b/{}",
            self.auth_config().public_url.trim_end_matches('/'),
            business.slug
        );
        let entry = Arc::new(OidcIssuer {
            business_id: business.id,
            discovery: ProviderMetadata::new(&issuer).to_json().into(),
            issuer,
            slug: business.slug,
        });
        issuers.known.rcu(|known| {
            let mut known = FxHashMap::clone(known);
            known.insert(entry.slug.to_string(), entry.clone());
            known
        });
        Ok(entry)
    }

    /// The discovery document of the business `slug` (see [`Gatehouse::oidc_issuer`]).
    pub async fn discovery_json(&self, slug: &str) -> Result<Arc<str>> {
        Ok(self.oidc_issuer(slug).await?.discovery_json())
    }
}
