//! Loading the access model for the engine: whole businesses (consistent at one change
//! sequence) and, for the change feed, just the users, groups and keys that changed.

use std::collections::{BTreeMap, BTreeSet};

use gatehouse_domain::authz::{
    AccessChanges, AccessModelData, ApiKeyData, GroupData, KeyCreator, UserData,
};
use gatehouse_domain::grants::Grants;
use gatehouse_domain::ids::{ApiKeyId, BusinessId, GroupId, UserId};
use gatehouse_domain::model::{GroupScope, MfaPolicy, PasskeyPolicy, SecuritySettings, UserStatus};
use gatehouse_domain::types::GroupName;
use gatehouse_domain::{Error, Result};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use crate::error::db;
use crate::queries::Sql;
use crate::rows;

/// How many ids go into one `IN (…)` list.
const CHUNK: usize = 500;

fn corrupt(what: &str) -> Error {
    Error::Storage(format!("stored {what} does not parse"))
}

pub(crate) fn settings(row: &AnyRow) -> Result<SecuritySettings> {
    Ok(SecuritySettings {
        mfa_policy: rows::parsed(row, "mfa_policy", |s| {
            MfaPolicy::parse(s).ok_or_else(|| corrupt("mfa_policy"))
        })?,
        passkey_policy: rows::parsed(row, "passkey_policy", |s| {
            PasskeyPolicy::parse(s).ok_or_else(|| corrupt("passkey_policy"))
        })?,
        mfa_grace_days: u32::try_from(rows::int(row, "mfa_grace_days")?)
            .map_err(|_| corrupt("mfa_grace_days"))?,
        mfa_policy_changed_at: rows::time(row, "mfa_policy_changed_at")?,
    })
}

pub(crate) async fn get_settings(
    c: &mut AnyConnection,
    business: BusinessId,
) -> Result<Option<(i64, SecuritySettings)>> {
    let row = sqlx::query("SELECT change_seq, mfa_policy, passkey_policy, mfa_grace_days, mfa_policy_changed_at FROM businesses WHERE id = $1")
        .bind(business.to_string())
        .fetch_optional(c)
        .await
        .map_err(db)?;
    row.map(|r| Ok((rows::int(&r, "change_seq")?, settings(&r)?)))
        .transpose()
}

/// Appends ` AND <column> IN (…)` for `ids`.
fn in_list<T: ToString>(sql: &mut Sql, column: &str, ids: &[T]) {
    sql.push(&format!(" AND {column} IN ("));
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.text_bind(id.to_string());
    }
    sql.push(")");
}

async fn users(
    c: &mut AnyConnection,
    business: BusinessId,
    ids: Option<&[UserId]>,
) -> Result<Vec<UserData>> {
    let mut sql = Sql::new(
        "SELECT id, status, mfa_enrolled, activated_at, created_at, \
         (SELECT COUNT(*) FROM passkeys p WHERE p.user_id = users.id) AS passkeys \
         FROM users WHERE business_id = ",
    );
    sql.text_bind(business.to_string());
    // Through the business's groups: `group_members` has no index on `business_id`, and
    // among ten thousand businesses a scan of every membership costs 0.2 s per business.
    let mut members = Sql::new(
        "SELECT m.user_id, m.group_id, m.expires_at FROM access_groups g \
         JOIN group_members m ON m.group_id = g.id WHERE g.business_id = ",
    );
    members.text_bind(business.to_string());
    if let Some(ids) = ids {
        in_list(&mut sql, "id", ids);
        in_list(&mut members, "m.user_id", ids);
    }
    sql.push(" ORDER BY id");
    let mut groups: BTreeMap<String, Vec<GroupId>> = BTreeMap::new();
    let mut expiring: BTreeMap<String, Vec<(GroupId, OffsetDateTime)>> = BTreeMap::new();
    for row in members.query().fetch_all(&mut *c).await.map_err(db)? {
        let user = rows::text(&row, "user_id")?;
        let group = rows::id(&row, "group_id")?;
        if let Some(end) = rows::opt_time(&row, "expires_at")? {
            expiring.entry(user.clone()).or_default().push((group, end));
        }
        groups.entry(user).or_default().push(group);
    }
    let user_rows = sql.query().fetch_all(&mut *c).await.map_err(db)?;
    let mut out = Vec::with_capacity(user_rows.len());
    for row in user_rows {
        let id_text = rows::text(&row, "id")?;
        let since = rows::opt_time(&row, "activated_at")?
            .map_or_else(|| rows::time(&row, "created_at"), Ok)?;
        out.push(UserData {
            id: id_text.parse().map_err(|_| corrupt("id"))?,
            status: rows::parsed(&row, "status", |s| {
                UserStatus::parse(s).ok_or_else(|| corrupt("status"))
            })?,
            mfa_enrolled: rows::int(&row, "mfa_enrolled")? != 0,
            passkey: rows::int(&row, "passkeys")? > 0,
            active_since: since,
            groups: groups.remove(&id_text).unwrap_or_default(),
            expiring: expiring.remove(&id_text).unwrap_or_default(),
        });
    }
    Ok(out)
}

async fn groups(
    c: &mut AnyConnection,
    business: BusinessId,
    ids: Option<&[GroupId]>,
) -> Result<Vec<GroupData>> {
    let filtered = |base: &str, column: &str| {
        let mut sql = Sql::new(base);
        sql.text_bind(business.to_string());
        if let Some(ids) = ids {
            in_list(&mut sql, column, ids);
        }
        sql
    };
    let group_rows = filtered(
        "SELECT g.id, g.name, g.kind FROM access_groups g WHERE g.business_id = ",
        "g.id",
    )
    .query()
    .fetch_all(&mut *c)
    .await
    .map_err(db)?;
    let tenant_rows = filtered("SELECT t.group_id, t.tenant_id FROM group_tenants t JOIN access_groups g ON g.id = t.group_id WHERE g.business_id = ", "g.id")
        .query()
        .fetch_all(&mut *c)
        .await
        .map_err(db)?;
    let perm_rows = filtered("SELECT p.group_id, p.scope, p.permission FROM group_permissions p JOIN access_groups g ON g.id = p.group_id WHERE g.business_id = ", "g.id")
        .query()
        .fetch_all(&mut *c)
        .await
        .map_err(db)?;
    let mut tenants: BTreeMap<String, BTreeSet<_>> = BTreeMap::new();
    for row in &tenant_rows {
        tenants
            .entry(rows::text(row, "group_id")?)
            .or_default()
            .insert(rows::id(row, "tenant_id")?);
    }
    let mut grants: BTreeMap<String, Grants> = BTreeMap::new();
    for row in &perm_rows {
        rows::add_grant(
            grants.entry(rows::text(row, "group_id")?).or_default(),
            &rows::text(row, "scope")?,
            &rows::text(row, "permission")?,
        )?;
    }
    let mut out = Vec::with_capacity(group_rows.len());
    for row in group_rows {
        let id_text = rows::text(&row, "id")?;
        let scope = if rows::text(&row, "kind")? == "business" {
            GroupScope::Business
        } else {
            GroupScope::Tenants(tenants.remove(&id_text).unwrap_or_default())
        };
        out.push(GroupData {
            id: id_text.parse().map_err(|_| corrupt("id"))?,
            name: rows::parsed(&row, "name", GroupName::parse)?,
            scope,
            grants: grants.remove(&id_text).unwrap_or_default(),
        });
    }
    Ok(out)
}

async fn api_keys(
    c: &mut AnyConnection,
    business: BusinessId,
    ids: Option<&[ApiKeyId]>,
) -> Result<Vec<ApiKeyData>> {
    let mut sql = Sql::new(
        "SELECT id, business_id, name, secret_hash, grants, created_by, created_at, expires_at, last_used_at, revoked_at FROM api_keys WHERE business_id = ",
    );
    sql.text_bind(business.to_string());
    if let Some(ids) = ids {
        in_list(&mut sql, "id", ids);
    }
    let key_rows = sql.query().fetch_all(c).await.map_err(db)?;
    key_rows
        .iter()
        .map(|row| {
            let stored = rows::api_key(row)?;
            Ok(ApiKeyData {
                id: stored.key.id,
                name: stored.key.name.clone(),
                secret_hash: stored.secret_hash,
                grants: stored.key.grants,
                expires_at: stored.key.expires_at,
                revoked: stored.key.revoked_at.is_some(),
                creator: KeyCreator::of(&stored.key.created_by),
            })
        })
        .collect()
}

/// The whole model; the caller runs this inside one read transaction.
pub(crate) async fn load_model(
    c: &mut AnyConnection,
    business: BusinessId,
) -> Result<Option<AccessModelData>> {
    let Some((seq, settings)) = get_settings(&mut *c, business).await? else {
        return Ok(None);
    };
    let tenant_rows = sqlx::query("SELECT id FROM tenants WHERE business_id = $1 ORDER BY id")
        .bind(business.to_string())
        .fetch_all(&mut *c)
        .await
        .map_err(db)?;
    let tenants = tenant_rows
        .iter()
        .map(|r| rows::id(r, "id"))
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(AccessModelData {
        seq,
        settings,
        tenants,
        groups: groups(&mut *c, business, None).await?,
        users: users(&mut *c, business, None).await?,
        api_keys: api_keys(&mut *c, business, None).await?,
    }))
}

pub(crate) async fn load_users(
    c: &mut AnyConnection,
    business: BusinessId,
    ids: &[UserId],
) -> Result<Vec<UserData>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        out.extend(users(&mut *c, business, Some(chunk)).await?);
    }
    Ok(out)
}

pub(crate) async fn load_groups(
    c: &mut AnyConnection,
    business: BusinessId,
    ids: &[GroupId],
) -> Result<Vec<GroupData>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        out.extend(groups(&mut *c, business, Some(chunk)).await?);
    }
    Ok(out)
}

pub(crate) async fn load_api_keys(
    c: &mut AnyConnection,
    business: BusinessId,
    ids: &[ApiKeyId],
) -> Result<Vec<ApiKeyData>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        out.extend(api_keys(&mut *c, business, Some(chunk)).await?);
    }
    Ok(out)
}

/// The change records after `after`, if they reach back that far without a gap.
pub(crate) async fn list_changes(
    c: &mut AnyConnection,
    business: BusinessId,
    after: i64,
) -> Result<Option<AccessChanges>> {
    let change_rows = sqlx::query("SELECT seq, kind, entity_id FROM access_changes WHERE business_id = $1 AND seq > $2 ORDER BY seq")
        .bind(business.to_string())
        .bind(after)
        .fetch_all(&mut *c)
        .await
        .map_err(db)?;
    let mut changes = AccessChanges {
        seq: after,
        ..AccessChanges::default()
    };
    for row in &change_rows {
        let seq = rows::int(row, "seq")?;
        if seq > changes.seq + 1 {
            return Ok(None); // pruned: reload
        }
        changes.seq = seq;
        let id = rows::text(row, "entity_id")?;
        match rows::text(row, "kind")?.as_str() {
            "user" => {
                changes
                    .users
                    .insert(id.parse().map_err(|_| corrupt("entity_id"))?);
            }
            "group" => {
                changes
                    .groups
                    .insert(id.parse().map_err(|_| corrupt("entity_id"))?);
            }
            "api_key" => {
                changes
                    .api_keys
                    .insert(id.parse().map_err(|_| corrupt("entity_id"))?);
            }
            "business" => {}
            _ => changes.reload = true,
        }
    }
    if change_rows.is_empty() {
        // Nothing recorded after `after`: either nothing happened, or it was pruned.
        let current = get_settings(c, business)
            .await?
            .map_or(after, |(seq, _)| seq);
        if current != after {
            return Ok(None);
        }
    }
    Ok(Some(changes))
}
