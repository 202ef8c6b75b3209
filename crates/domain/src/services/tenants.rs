//! Tenants: parts of a business, created, renamed and deleted by the operator; created and
//! renamed by the business's administrators where the operator allows it.

use serde_json::json;

use super::{Audit, Gatehouse};
use crate::audit::RequestContext;
use crate::error::{Error, Result};
use crate::ids::{BusinessId, TenantId};
use crate::model::Tenant;
use crate::principal::{Actor, AnyMember, BusinessAccess, OperatorAccess, SettingsManage};
use crate::types::{Slug, TenantName};

fn target(t: &Tenant) -> (&'static str, String, String) {
    ("tenant", t.id.to_string(), t.slug.to_string())
}

impl Gatehouse {
    pub async fn create_tenant(
        &self,
        op: &OperatorAccess,
        ctx: &RequestContext,
        business: BusinessId,
        name: TenantName,
        slug: Slug,
    ) -> Result<Tenant> {
        self.insert_tenant(&op.actor(), ctx, business, name, slug)
            .await
    }

    /// A business administrator adds a tenant to their own business. Only where the operator
    /// lets business administrators manage tenants: the caller checks that setting.
    pub async fn create_own_tenant(
        &self,
        access: &BusinessAccess<SettingsManage>,
        ctx: &RequestContext,
        name: TenantName,
        slug: Slug,
    ) -> Result<Tenant> {
        self.insert_tenant(access.actor(), ctx, access.business_id(), name, slug)
            .await
    }

    async fn insert_tenant(
        &self,
        actor: &Actor,
        ctx: &RequestContext,
        business: BusinessId,
        name: TenantName,
        slug: Slug,
    ) -> Result<Tenant> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.get_business(business)
            .await?
            .ok_or(Error::BusinessNotFound)?;
        let tenant = Tenant {
            id: TenantId::new(now),
            business_id: business,
            slug,
            name,
            created_at: now,
            updated_at: now,
        };
        tx.insert_tenant(&tenant).await?;
        let audit = Audit::new(now, Some(business), actor, ctx);
        let after = json!({ "slug": tenant.slug, "name": tenant.name });
        self.commit(
            tx,
            vec![audit.event("tenant.created", target(&tenant), None, Some(after))],
        )
        .await?;
        Ok(tenant)
    }

    pub async fn rename_tenant(
        &self,
        op: &OperatorAccess,
        ctx: &RequestContext,
        business: BusinessId,
        id: TenantId,
        name: TenantName,
    ) -> Result<Tenant> {
        self.update_tenant_name(&op.actor(), ctx, business, id, name)
            .await
    }

    /// A business administrator renames a tenant of their own business (where the operator
    /// allows it; the caller checks).
    pub async fn rename_own_tenant(
        &self,
        access: &BusinessAccess<SettingsManage>,
        ctx: &RequestContext,
        id: TenantId,
        name: TenantName,
    ) -> Result<Tenant> {
        self.update_tenant_name(access.actor(), ctx, access.business_id(), id, name)
            .await
    }

    async fn update_tenant_name(
        &self,
        actor: &Actor,
        ctx: &RequestContext,
        business: BusinessId,
        id: TenantId,
        name: TenantName,
    ) -> Result<Tenant> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let before = tx
            .get_tenant(business, id)
            .await?
            .ok_or(Error::TenantNotFound)?;
        let after = Tenant {
            name,
            updated_at: now,
            ..before.clone()
        };
        tx.update_tenant(&after).await?;
        let audit = Audit::new(now, Some(business), actor, ctx);
        let event = audit.event(
            "tenant.renamed",
            target(&after),
            Some(json!({ "name": before.name })),
            Some(json!({ "name": after.name })),
        );
        self.commit(tx, vec![event]).await?;
        Ok(after)
    }

    /// Refused with `TenantInUse` while any group names the tenant.
    pub async fn delete_tenant(
        &self,
        op: &OperatorAccess,
        ctx: &RequestContext,
        business: BusinessId,
        id: TenantId,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let tenant = tx
            .get_tenant(business, id)
            .await?
            .ok_or(Error::TenantNotFound)?;
        let groups = tx.count_groups_using_tenant(business, id).await?;
        if groups > 0 {
            return Err(Error::TenantInUse { groups });
        }
        tx.delete_tenant(business, id).await?;
        let actor = op.actor();
        let audit = Audit::new(now, Some(business), &actor, ctx);
        let before = json!({ "slug": tenant.slug, "name": tenant.name });
        self.commit(
            tx,
            vec![audit.event("tenant.deleted", target(&tenant), Some(before), None)],
        )
        .await
    }

    /// The operator's view of a business's tenants.
    pub async fn list_business_tenants(
        &self,
        _op: &OperatorAccess,
        business: BusinessId,
    ) -> Result<Vec<Tenant>> {
        self.store
            .get_business(business)
            .await?
            .ok_or(Error::BusinessNotFound)?;
        self.store.list_tenants(business).await
    }

    /// A business member's view of its own tenants.
    pub async fn list_tenants(&self, access: &BusinessAccess<AnyMember>) -> Result<Vec<Tenant>> {
        self.store.list_tenants(access.business_id()).await
    }
}
