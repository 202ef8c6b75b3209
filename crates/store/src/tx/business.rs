//! Writes to businesses, their security settings and tenants, in a [`SqlTx`].

use gatehouse_domain::store::BusinessWrites;

// The transaction's own imports: the types every write here names.
#[allow(clippy::wildcard_imports)]
use super::*;

#[async_trait]
impl BusinessWrites for SqlTx {
    async fn get_business(&mut self, id: BusinessId) -> Result<Option<Business>> {
        queries::get_business(&mut self.tx, id).await
    }

    async fn get_tenant(&mut self, business: BusinessId, id: TenantId) -> Result<Option<Tenant>> {
        queries::get_tenant(&mut self.tx, business, id).await
    }

    async fn count_groups_using_tenant(
        &mut self,
        business: BusinessId,
        id: TenantId,
    ) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM group_tenants t JOIN access_groups g ON g.id = t.group_id \
             WHERE g.business_id = $1 AND t.tenant_id = $2",
        )
        .bind(business.to_string())
        .bind(id.to_string())
        .fetch_one(&mut *self.tx)
        .await
        .map_err(db)?;
        rows::int(&row, "n")
    }

    async fn insert_business(&mut self, b: &Business, settings: &SecuritySettings) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO businesses (id, slug, name, change_seq, created_at, updated_at, mfa_policy, mfa_grace_days, \
             mfa_policy_changed_at, passkey_policy) VALUES ($1, $2, $3, 0, $4, $5, $6, $7, $8, $9)",
        )
        .bind(b.id.to_string())
        .bind(b.slug.as_str())
        .bind(b.name.as_str())
        .bind(to_micros(b.created_at))
        .bind(to_micros(b.updated_at))
        .bind(settings.mfa_policy.as_str())
        .bind(i64::from(settings.mfa_grace_days))
        .bind(to_micros(settings.mfa_policy_changed_at))
        .bind(settings.passkey_policy.as_str());
        self.change(
            b.id,
            ("business_created", b.id.to_string()),
            q,
            Error::BusinessNotFound,
        )
        .await
        .map(drop)
    }

    async fn update_business(&mut self, b: &Business) -> Result<()> {
        let q = sqlx::query("UPDATE businesses SET name = $1, updated_at = $2 WHERE id = $3")
            .bind(b.name.as_str())
            .bind(to_micros(b.updated_at))
            .bind(b.id.to_string());
        self.change(
            b.id,
            ("business", b.id.to_string()),
            q,
            Error::BusinessNotFound,
        )
        .await
        .map(drop)
    }

    async fn get_security_settings(
        &mut self,
        business: BusinessId,
    ) -> Result<Option<SecuritySettings>> {
        Ok(access::get_settings(&mut self.tx, business)
            .await?
            .map(|(_, s)| s))
    }

    async fn update_security_settings(
        &mut self,
        business: BusinessId,
        s: &SecuritySettings,
    ) -> Result<()> {
        let q = sqlx::query("UPDATE businesses SET mfa_policy = $1, mfa_grace_days = $2, mfa_policy_changed_at = $3, passkey_policy = $4 WHERE id = $5")
            .bind(s.mfa_policy.as_str())
            .bind(i64::from(s.mfa_grace_days))
            .bind(to_micros(s.mfa_policy_changed_at))
            .bind(s.passkey_policy.as_str())
            .bind(business.to_string());
        self.change(
            business,
            ("settings", business.to_string()),
            q,
            Error::BusinessNotFound,
        )
        .await
        .map(drop)
    }

    async fn insert_tenant(&mut self, t: &Tenant) -> Result<()> {
        let q = sqlx::query("INSERT INTO tenants (id, business_id, slug, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(t.id.to_string())
            .bind(t.business_id.to_string())
            .bind(t.slug.as_str())
            .bind(t.name.as_str())
            .bind(to_micros(t.created_at))
            .bind(to_micros(t.updated_at));
        self.change(
            t.business_id,
            ("tenant", t.id.to_string()),
            q,
            Error::TenantNotFound,
        )
        .await
        .map(drop)
    }

    async fn update_tenant(&mut self, t: &Tenant) -> Result<()> {
        let q = sqlx::query(
            "UPDATE tenants SET name = $1, updated_at = $2 WHERE business_id = $3 AND id = $4",
        )
        .bind(t.name.as_str())
        .bind(to_micros(t.updated_at))
        .bind(t.business_id.to_string())
        .bind(t.id.to_string());
        self.change(
            t.business_id,
            ("business", t.id.to_string()),
            q,
            Error::TenantNotFound,
        )
        .await
        .map(drop)
    }

    async fn delete_tenant(&mut self, business: BusinessId, id: TenantId) -> Result<()> {
        let q = sqlx::query("DELETE FROM tenants WHERE business_id = $1 AND id = $2")
            .bind(business.to_string())
            .bind(id.to_string());
        self.change(
            business,
            ("tenant", id.to_string()),
            q,
            Error::TenantNotFound,
        )
        .await
        .map(drop)
    }
}
