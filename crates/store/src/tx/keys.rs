//! Writes to API keys, in a [`SqlTx`].

use gatehouse_domain::store::KeyWrites;
use gatehouse_domain::types::ApiKeyName;

// The transaction's own imports: the types every write here names.
#[allow(clippy::wildcard_imports)]
use super::*;

#[async_trait]
impl KeyWrites for SqlTx {
    async fn get_api_key(&mut self, business: BusinessId, id: ApiKeyId) -> Result<Option<ApiKey>> {
        Ok(queries::get_api_key(&mut self.tx, Some(business), id)
            .await?
            .map(|k| k.key))
    }

    async fn insert_api_key(&mut self, k: &StoredApiKey) -> Result<()> {
        let key = &k.key;
        let q = sqlx::query(
            "INSERT INTO api_keys (id, business_id, name, secret_hash, grants, created_by, created_at, expires_at, last_used_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL)",
        )
        .bind(key.id.to_string())
        .bind(key.business_id.to_string())
        .bind(key.name.as_str())
        .bind(rows::hex(&k.secret_hash))
        .bind(to_json(&key.grants)?)
        .bind(to_json(&key.created_by)?)
        .bind(to_micros(key.created_at))
        .bind(key.expires_at.map(to_micros));
        self.change(
            key.business_id,
            ("api_key", key.id.to_string()),
            q,
            Error::ApiKeyNotFound,
        )
        .await
        .map(drop)
    }

    async fn revoke_api_key(
        &mut self,
        business: BusinessId,
        id: ApiKeyId,
        at: OffsetDateTime,
    ) -> Result<()> {
        let q = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE business_id = $2 AND id = $3 AND revoked_at IS NULL")
            .bind(to_micros(at))
            .bind(business.to_string())
            .bind(id.to_string());
        self.change(
            business,
            ("api_key", id.to_string()),
            q,
            Error::ApiKeyNotFound,
        )
        .await
        .map(drop)
    }

    async fn rename_api_key(
        &mut self,
        business: BusinessId,
        id: ApiKeyId,
        name: &ApiKeyName,
    ) -> Result<()> {
        let q = sqlx::query("UPDATE api_keys SET name = $1 WHERE business_id = $2 AND id = $3")
            .bind(name.as_str())
            .bind(business.to_string())
            .bind(id.to_string());
        self.change(
            business,
            ("api_key", id.to_string()),
            q,
            Error::ApiKeyNotFound,
        )
        .await
        .map(drop)
    }
}
