//! Rows to domain objects. Stored values were validated on the way in; a row that no longer
//! parses (edited by hand, say) is a storage error, never a panic.

use data_encoding::HEXLOWER;
use gatehouse_domain::catalog::PermissionKey;
use gatehouse_domain::clock::from_micros;
use gatehouse_domain::grants::Grants;
use gatehouse_domain::ids::Id;
use gatehouse_domain::model::{ApiKey, Business, StoredApiKey, Tenant, User, UserStatus};
use gatehouse_domain::principal::Actor;
use gatehouse_domain::{Error, Result};
use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

fn corrupt(what: &str) -> Error {
    Error::Storage(format!("stored {what} does not parse"))
}

pub(crate) fn text(row: &AnyRow, col: &str) -> Result<String> {
    row.try_get::<String, _>(col).map_err(crate::error::db)
}

pub(crate) fn opt_text(row: &AnyRow, col: &str) -> Result<Option<String>> {
    row.try_get::<Option<String>, _>(col)
        .map_err(crate::error::db)
}

pub(crate) fn int(row: &AnyRow, col: &str) -> Result<i64> {
    row.try_get::<i64, _>(col).map_err(crate::error::db)
}

pub(crate) fn time(row: &AnyRow, col: &str) -> Result<OffsetDateTime> {
    int(row, col).map(from_micros)
}

pub(crate) fn opt_time(row: &AnyRow, col: &str) -> Result<Option<OffsetDateTime>> {
    row.try_get::<Option<i64>, _>(col)
        .map(|v| v.map(from_micros))
        .map_err(crate::error::db)
}

pub(crate) fn id<K>(row: &AnyRow, col: &str) -> Result<Id<K>> {
    text(row, col)?.parse().map_err(|_| corrupt("id"))
}

pub(crate) fn parsed<T>(row: &AnyRow, col: &str, parse: impl Fn(&str) -> Result<T>) -> Result<T> {
    parse(&text(row, col)?).map_err(|_| corrupt(col))
}

pub(crate) fn business(row: &AnyRow) -> Result<Business> {
    Ok(Business {
        id: id(row, "id")?,
        slug: parsed(row, "slug", gatehouse_domain::types::Slug::parse)?,
        name: parsed(row, "name", gatehouse_domain::types::BusinessName::parse)?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

pub(crate) fn tenant(row: &AnyRow) -> Result<Tenant> {
    Ok(Tenant {
        id: id(row, "id")?,
        business_id: id(row, "business_id")?,
        slug: parsed(row, "slug", gatehouse_domain::types::Slug::parse)?,
        name: parsed(row, "name", gatehouse_domain::types::TenantName::parse)?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

/// A user without groups; the caller fills them in.
pub(crate) fn user(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: id(row, "id")?,
        business_id: id(row, "business_id")?,
        email: parsed(row, "email", gatehouse_domain::types::Email::parse_stored)?,
        display_name: parsed(
            row,
            "display_name",
            gatehouse_domain::types::DisplayName::parse,
        )?,
        status: parsed(row, "status", |s| {
            UserStatus::parse(s).ok_or_else(|| corrupt("status"))
        })?,
        mfa_enrolled: int(row, "mfa_enrolled")? != 0,
        groups: Vec::new(),
        activated_at: opt_time(row, "activated_at")?,
        version: int(row, "version")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

pub(crate) fn api_key(row: &AnyRow) -> Result<StoredApiKey> {
    let grants: Grants =
        serde_json::from_str(&text(row, "grants")?).map_err(|_| corrupt("grants"))?;
    let created_by: Actor =
        serde_json::from_str(&text(row, "created_by")?).map_err(|_| corrupt("created_by"))?;
    let hash = hash32(&text(row, "secret_hash")?).ok_or_else(|| corrupt("secret_hash"))?;
    Ok(StoredApiKey {
        key: ApiKey {
            id: id(row, "id")?,
            business_id: id(row, "business_id")?,
            name: parsed(row, "name", gatehouse_domain::types::ApiKeyName::parse)?,
            grants,
            created_by,
            created_at: time(row, "created_at")?,
            expires_at: opt_time(row, "expires_at")?,
            last_used_at: opt_time(row, "last_used_at")?,
            revoked_at: opt_time(row, "revoked_at")?,
        },
        secret_hash: hash,
    })
}

/// Adds a `(scope, permission)` row to a grant set.
pub(crate) fn add_grant(grants: &mut Grants, scope: &str, permission: &str) -> Result<()> {
    let key = PermissionKey::parse(permission).map_err(|_| corrupt("permission"))?;
    let set = match scope {
        "business" => &mut grants.business,
        "live" => &mut grants.live,
        "sandbox" => &mut grants.sandbox,
        _ => return Err(corrupt("permission scope")),
    };
    set.insert(key);
    Ok(())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    HEXLOWER.encode(bytes)
}

/// A 32-byte hash from its hex form.
pub(crate) fn hash32(s: &str) -> Option<[u8; 32]> {
    HEXLOWER.decode(s.as_bytes()).ok()?.try_into().ok()
}
