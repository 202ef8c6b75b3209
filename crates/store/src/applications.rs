//! Applications (OpenID Connect clients): their rows, and the reads of the `Store`.

use std::collections::BTreeSet;

use async_trait::async_trait;
use gatehouse_domain::application::{
    Application, ClientType, GrantType, RedirectUri, Scope, SigningAlg,
};
use gatehouse_domain::ids::{ApplicationId, BusinessId};
use gatehouse_domain::oidc::applications::store::ApplicationReads;
use gatehouse_domain::principal::Actor;
use gatehouse_domain::types::ApplicationName;
use gatehouse_domain::{Error, Result};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use time::Duration;

use crate::error::db;
use crate::rows;
use crate::store::SqlStore;

pub(crate) const APPLICATION_COLS: &str = "id, business_id, name, client_type, first_party, \
    redirect_uris, post_logout_redirect_uris, backchannel_logout_uri, allowed_scopes, \
    grant_types, require_mfa, access_token_ttl_secs, refresh_token_ttl_secs, id_token_ttl_secs, \
    id_token_alg, secret_hash, secret_rotated_at, service_key_id, created_by, created_at, \
    updated_at";

fn corrupt(what: &str) -> Error {
    Error::Storage(format!("stored {what} does not parse"))
}

fn json<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> Result<T> {
    serde_json::from_str(&rows::text(row, col)?).map_err(|_| corrupt(col))
}

fn uris(row: &AnyRow, col: &str) -> Result<Vec<RedirectUri>> {
    json::<Vec<String>>(row, col)?
        .iter()
        .map(|u| RedirectUri::parse(u).map_err(|_| corrupt(col)))
        .collect()
}

pub(crate) fn application(row: &AnyRow) -> Result<Application> {
    let secret_hash = match rows::opt_text(row, "secret_hash")? {
        Some(hex) => Some(rows::hash32(&hex).ok_or_else(|| corrupt("secret_hash"))?),
        None => None,
    };
    let service_key_id = match rows::opt_text(row, "service_key_id")? {
        Some(id) => Some(id.parse().map_err(|_| corrupt("service_key_id"))?),
        None => None,
    };
    Ok(Application {
        id: rows::id(row, "id")?,
        business_id: rows::id(row, "business_id")?,
        name: rows::parsed(row, "name", ApplicationName::parse)?,
        client_type: rows::parsed(row, "client_type", |s| {
            ClientType::parse(s).ok_or_else(|| corrupt("client_type"))
        })?,
        first_party: rows::int(row, "first_party")? != 0,
        redirect_uris: uris(row, "redirect_uris")?,
        post_logout_redirect_uris: uris(row, "post_logout_redirect_uris")?,
        backchannel_logout_uri: rows::opt_text(row, "backchannel_logout_uri")?
            .map(|u| RedirectUri::parse(&u).map_err(|_| corrupt("backchannel_logout_uri")))
            .transpose()?,
        allowed_scopes: json::<BTreeSet<Scope>>(row, "allowed_scopes")?,
        grant_types: json::<BTreeSet<GrantType>>(row, "grant_types")?,
        require_mfa: rows::int(row, "require_mfa")? != 0,
        access_token_ttl: Duration::seconds(rows::int(row, "access_token_ttl_secs")?),
        refresh_token_ttl: Duration::seconds(rows::int(row, "refresh_token_ttl_secs")?),
        id_token_ttl: Duration::seconds(rows::int(row, "id_token_ttl_secs")?),
        id_token_signed_response_alg: rows::parsed(row, "id_token_alg", |s| {
            SigningAlg::parse(s).ok_or_else(|| corrupt("id_token_alg"))
        })?,
        secret_hash,
        secret_rotated_at: rows::opt_time(row, "secret_rotated_at")?,
        service_key_id,
        created_by: json::<Actor>(row, "created_by")?,
        created_at: rows::time(row, "created_at")?,
        updated_at: rows::time(row, "updated_at")?,
    })
}

/// One application of the business; `lock` takes its row lock (PostgreSQL, in a
/// transaction; SQLite's single writer needs none).
pub(crate) async fn get_application(
    c: &mut AnyConnection,
    business: BusinessId,
    id: ApplicationId,
    lock: bool,
) -> Result<Option<Application>> {
    let sql = format!(
        "SELECT {APPLICATION_COLS} FROM applications WHERE business_id = $1 AND id = $2{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    let row = sqlx::query(&sql)
        .bind(business.to_string())
        .bind(id.to_string())
        .fetch_optional(c)
        .await
        .map_err(db)?;
    row.as_ref().map(application).transpose()
}

#[async_trait]
impl ApplicationReads for SqlStore {
    async fn get_application(
        &self,
        business: BusinessId,
        id: ApplicationId,
    ) -> Result<Option<Application>> {
        get_application(&mut *self.conn().await?, business, id, false).await
    }

    async fn list_applications(&self, business: BusinessId) -> Result<Vec<Application>> {
        let sql = format!(
            "SELECT {APPLICATION_COLS} FROM applications WHERE business_id = $1 ORDER BY id"
        );
        let rows = sqlx::query(&sql)
            .bind(business.to_string())
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(db)?;
        rows.iter().map(application).collect()
    }
}
