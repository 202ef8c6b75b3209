//! Businesses: created and renamed by the operator.

use serde_json::json;

use super::{Audit, Gatehouse};
use crate::audit::RequestContext;
use crate::error::{Error, Result};
use crate::ids::BusinessId;
use crate::model::{Business, SecuritySettings};
use crate::page::{Page, paginate};
use crate::principal::OperatorAccess;
use crate::types::{BusinessName, Slug};

fn target(b: &Business) -> (&'static str, String, String) {
    ("business", b.id.to_string(), b.slug.to_string())
}

impl Gatehouse {
    pub async fn create_business(
        &self,
        op: &OperatorAccess,
        ctx: &RequestContext,
        name: BusinessName,
        slug: Slug,
    ) -> Result<Business> {
        let now = self.now();
        let business = Business {
            id: BusinessId::new(now),
            slug,
            name,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.begin().await?;
        tx.insert_business(&business, &SecuritySettings::new(now))
            .await?;
        let actor = op.actor();
        let audit = Audit::new(now, Some(business.id), &actor, ctx);
        let after = json!({ "slug": business.slug, "name": business.name });
        self.commit(
            tx,
            vec![audit.event("business.created", target(&business), None, Some(after))],
        )
        .await?;
        Ok(business)
    }

    pub async fn rename_business(
        &self,
        op: &OperatorAccess,
        ctx: &RequestContext,
        id: BusinessId,
        name: BusinessName,
    ) -> Result<Business> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let before = tx.get_business(id).await?.ok_or(Error::BusinessNotFound)?;
        let after = Business {
            name,
            updated_at: now,
            ..before.clone()
        };
        tx.update_business(&after).await?;
        let actor = op.actor();
        let audit = Audit::new(now, Some(id), &actor, ctx);
        let event = audit.event(
            "business.renamed",
            target(&after),
            Some(json!({ "name": before.name })),
            Some(json!({ "name": after.name })),
        );
        self.commit(tx, vec![event]).await?;
        Ok(after)
    }

    pub async fn get_business(&self, _op: &OperatorAccess, id: BusinessId) -> Result<Business> {
        self.store
            .get_business(id)
            .await?
            .ok_or(Error::BusinessNotFound)
    }

    pub async fn list_businesses(
        &self,
        _op: &OperatorAccess,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<Business>> {
        let after = match cursor {
            Some(c) => Some(
                crate::page::decode_cursor(c)?
                    .parse()
                    .map_err(|_| Error::InvalidCursor)?,
            ),
            None => None,
        };
        let items = self.store.list_businesses(after, limit + 1).await?;
        Ok(paginate(items, limit, None, |b| b.id.to_string()))
    }
}
