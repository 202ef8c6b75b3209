//! Writes to applications, in a [`SqlTx`]. They are not part of the access model (the flows
//! read applications from storage), so they record no access change; their service keys
//! are API keys and do.

use gatehouse_domain::application::Application;
use gatehouse_domain::ids::ApplicationId;
use gatehouse_domain::oidc::applications::store::ApplicationWrites;

// The transaction's own imports: the types every write here names.
#[allow(clippy::wildcard_imports)]
use super::*;

/// The settings of `app` bound in column order from `$3` (after id and business).
fn bind_settings<'q>(
    q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    app: &Application,
) -> Result<sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>> {
    let texts = |uris: &[gatehouse_domain::application::RedirectUri]| {
        to_json(&uris.iter().map(|u| u.as_str()).collect::<Vec<_>>())
    };
    Ok(q.bind(app.name.as_str().to_owned())
        .bind(app.client_type.as_str())
        .bind(i64::from(app.first_party))
        .bind(texts(&app.redirect_uris)?)
        .bind(texts(&app.post_logout_redirect_uris)?)
        .bind(
            app.backchannel_logout_uri
                .as_ref()
                .map(|u| u.as_str().to_owned()),
        )
        .bind(to_json(&app.allowed_scopes)?)
        .bind(to_json(&app.grant_types)?)
        .bind(i64::from(app.require_mfa))
        .bind(app.access_token_ttl.whole_seconds())
        .bind(app.refresh_token_ttl.whole_seconds())
        .bind(app.id_token_ttl.whole_seconds())
        .bind(app.id_token_signed_response_alg.as_str())
        .bind(app.secret_hash.as_ref().map(|h| rows::hex(h)))
        .bind(app.secret_rotated_at.map(to_micros))
        .bind(app.service_key_id.map(|k| k.to_string()))
        .bind(to_micros(app.updated_at)))
}

impl SqlTx {
    async fn exec_one<'q>(
        &mut self,
        q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
        not_found: Error,
    ) -> Result<()> {
        let affected = q.execute(&mut *self.tx).await.map_err(db)?.rows_affected();
        if affected == 0 {
            return Err(not_found);
        }
        Ok(())
    }
}

#[async_trait]
impl ApplicationWrites for SqlTx {
    async fn lock_application(
        &mut self,
        business: BusinessId,
        id: ApplicationId,
    ) -> Result<Option<Application>> {
        let lock = self.postgres;
        crate::applications::get_application(&mut self.tx, business, id, lock).await
    }

    async fn insert_application(&mut self, app: &Application) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO applications (id, business_id, name, client_type, first_party, \
             redirect_uris, post_logout_redirect_uris, backchannel_logout_uri, allowed_scopes, \
             grant_types, require_mfa, access_token_ttl_secs, refresh_token_ttl_secs, \
             id_token_ttl_secs, id_token_alg, secret_hash, secret_rotated_at, service_key_id, \
             updated_at, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             $17, $18, $19, $20, $21)",
        )
        .bind(app.id.to_string())
        .bind(app.business_id.to_string());
        let q = bind_settings(q, app)?
            .bind(to_json(&app.created_by)?)
            .bind(to_micros(app.created_at));
        self.exec_one(q, Error::BusinessNotFound).await
    }

    async fn update_application(&mut self, app: &Application) -> Result<()> {
        let q = sqlx::query(
            "UPDATE applications SET name = $3, client_type = $4, first_party = $5, \
             redirect_uris = $6, post_logout_redirect_uris = $7, backchannel_logout_uri = $8, \
             allowed_scopes = $9, grant_types = $10, require_mfa = $11, \
             access_token_ttl_secs = $12, refresh_token_ttl_secs = $13, id_token_ttl_secs = $14, \
             id_token_alg = $15, secret_hash = $16, secret_rotated_at = $17, \
             service_key_id = $18, updated_at = $19 \
             WHERE id = $1 AND business_id = $2",
        )
        .bind(app.id.to_string())
        .bind(app.business_id.to_string());
        let q = bind_settings(q, app)?;
        self.exec_one(q, Error::ApplicationNotFound).await
    }

    async fn delete_application(&mut self, business: BusinessId, id: ApplicationId) -> Result<()> {
        let q = sqlx::query("DELETE FROM applications WHERE business_id = $1 AND id = $2")
            .bind(business.to_string())
            .bind(id.to_string());
        self.exec_one(q, Error::ApplicationNotFound).await
    }

    async fn mark_service_key(
        &mut self,
        business: BusinessId,
        key: ApiKeyId,
        app: ApplicationId,
    ) -> Result<()> {
        let q = sqlx::query(
            "UPDATE api_keys SET application_id = $1 WHERE business_id = $2 AND id = $3",
        )
        .bind(app.to_string())
        .bind(business.to_string())
        .bind(key.to_string());
        self.exec_one(q, Error::ApiKeyNotFound).await
    }
}
