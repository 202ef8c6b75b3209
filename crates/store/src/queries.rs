//! The SQL, shared by reads outside and inside write transactions. Every query that takes a
//! business id filters on it: nothing crosses the business boundary.

use std::collections::BTreeSet;

use gatehouse_domain::audit::{AuditEvent, AuditFilter, AuditTarget};
use gatehouse_domain::clock::to_micros;
use gatehouse_domain::grants::Grants;
use gatehouse_domain::ids::{ApiKeyId, BusinessId, GroupId, TenantId, UserId};
use gatehouse_domain::model::{Business, Group, GroupRef, GroupScope, StoredApiKey, Tenant, User};
use gatehouse_domain::principal::{Actor, ActorKind};
use gatehouse_domain::store::UserFilter;
use gatehouse_domain::types::{Description, GroupName};
use gatehouse_domain::{Error, Result};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection};

use crate::error::db;
use crate::rows;

/// A value to bind to a dynamically built query.
pub(crate) enum Bind {
    Text(String),
    Int(i64),
}

/// A query assembled from optional parts, with `$N` placeholders numbered as they are added.
#[derive(Default)]
pub(crate) struct Sql {
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    pub(crate) fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            binds: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub(crate) fn bind(&mut self, value: Bind) -> &mut Self {
        self.binds.push(value);
        self.text.push_str(&format!("${}", self.binds.len()));
        self
    }

    pub(crate) fn text_bind(&mut self, value: impl Into<String>) -> &mut Self {
        self.bind(Bind::Text(value.into()))
    }

    pub(crate) fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        self.binds
            .iter()
            .fold(sqlx::query(&self.text), |q, b| match b {
                Bind::Text(s) => q.bind(s.as_str()),
                Bind::Int(i) => q.bind(*i),
            })
    }
}

/// The upper bound of a prefix range: every string starting with `prefix` sorts below it
/// (byte order, as SQLite's BINARY and PostgreSQL's "C" collation compare).
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

// --- businesses -------------------------------------------------------------------------

const BUSINESS_COLS: &str = "id, slug, name, created_at, updated_at";

pub(crate) async fn get_business(
    c: &mut AnyConnection,
    id: BusinessId,
) -> Result<Option<Business>> {
    let sql = format!("SELECT {BUSINESS_COLS} FROM businesses WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_optional(c)
        .await
        .map_err(db)?;
    row.as_ref().map(rows::business).transpose()
}

pub(crate) async fn list_businesses(
    c: &mut AnyConnection,
    after: Option<BusinessId>,
    limit: u32,
) -> Result<Vec<Business>> {
    let mut sql = Sql::new(&format!(
        "SELECT {BUSINESS_COLS} FROM businesses WHERE id > "
    ));
    sql.text_bind(after.map(|a| a.to_string()).unwrap_or_default());
    sql.push(" ORDER BY id LIMIT ")
        .bind(Bind::Int(i64::from(limit)));
    let rows = sql.query().fetch_all(c).await.map_err(db)?;
    rows.iter().map(rows::business).collect()
}

// --- tenants ----------------------------------------------------------------------------

const TENANT_COLS: &str = "id, business_id, slug, name, created_at, updated_at";

pub(crate) async fn get_tenant(
    c: &mut AnyConnection,
    business: BusinessId,
    id: TenantId,
) -> Result<Option<Tenant>> {
    let sql = format!("SELECT {TENANT_COLS} FROM tenants WHERE business_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(business.to_string())
        .bind(id.to_string())
        .fetch_optional(c)
        .await
        .map_err(db)?;
    row.as_ref().map(rows::tenant).transpose()
}

pub(crate) async fn list_tenants(
    c: &mut AnyConnection,
    business: BusinessId,
) -> Result<Vec<Tenant>> {
    let sql = format!("SELECT {TENANT_COLS} FROM tenants WHERE business_id = $1 ORDER BY slug");
    let rows = sqlx::query(&sql)
        .bind(business.to_string())
        .fetch_all(c)
        .await
        .map_err(db)?;
    rows.iter().map(rows::tenant).collect()
}

// --- users ------------------------------------------------------------------------------

pub(crate) const USER_COLS: &str = "u.id, u.business_id, u.email, u.display_name, u.status, u.mfa_enrolled, \
                         u.activated_at, u.version, u.created_at, u.updated_at";

/// Fills in the groups of each user, with one query for all of them.
pub(crate) async fn attach_groups(c: &mut AnyConnection, users: &mut [User]) -> Result<()> {
    if users.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(
        "SELECT m.user_id, g.id, g.name FROM group_members m JOIN access_groups g ON g.id = m.group_id \
         WHERE m.user_id IN (",
    );
    for (i, u) in users.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.text_bind(u.id.to_string());
    }
    sql.push(") ORDER BY g.name_key");
    let rows = sql.query().fetch_all(&mut *c).await.map_err(db)?;
    for row in &rows {
        let user: UserId = rows::id(row, "user_id")?;
        let group = GroupRef {
            id: rows::id(row, "id")?,
            name: rows::parsed(row, "name", GroupName::parse)?,
        };
        if let Some(u) = users.iter_mut().find(|u| u.id == user) {
            u.groups.push(group);
        }
    }
    Ok(())
}

pub(crate) async fn get_user(
    c: &mut AnyConnection,
    business: BusinessId,
    id: UserId,
) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLS} FROM users u WHERE u.business_id = $1 AND u.id = $2");
    let row = sqlx::query(&sql)
        .bind(business.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *c)
        .await
        .map_err(db)?;
    let Some(row) = row else { return Ok(None) };
    let mut users = [rows::user(&row)?];
    attach_groups(c, &mut users).await?;
    let [user] = users;
    Ok(Some(user))
}

pub(crate) async fn get_users(
    c: &mut AnyConnection,
    business: BusinessId,
    ids: &[UserId],
) -> Result<Vec<User>> {
    let mut users = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new(&format!(
            "SELECT {USER_COLS} FROM users u WHERE u.business_id = "
        ));
        sql.text_bind(business.to_string()).push(" AND u.id IN (");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.text_bind(id.to_string());
        }
        sql.push(")");
        let rows = sql.query().fetch_all(&mut *c).await.map_err(db)?;
        users.extend(rows.iter().map(rows::user).collect::<Result<Vec<_>>>()?);
    }
    attach_groups(c, &mut users).await?;
    let order: std::collections::HashMap<UserId, usize> =
        ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    users.sort_by_key(|u| order.get(&u.id).copied().unwrap_or(usize::MAX));
    Ok(users)
}

/// The WHERE clause of a user listing (without the keyset condition).
fn user_filter(business: BusinessId, filter: &UserFilter) -> Sql {
    // A group's members are found from the membership index: the work is proportional to
    // the group, not to the business (a small group of a large business stays fast).
    let mut sql = match filter.group {
        Some(group) => {
            let mut sql = Sql::new(
                " FROM group_members gm JOIN users u ON u.id = gm.user_id WHERE gm.group_id = ",
            );
            sql.text_bind(group.to_string())
                .push(" AND u.business_id = ");
            sql
        }
        None => Sql::new(" FROM users u WHERE u.business_id = "),
    };
    sql.text_bind(business.to_string());
    if let Some(status) = filter.status {
        sql.push(" AND u.status = ").text_bind(status.as_str());
    }
    // IN (subquery) rather than a correlated EXISTS: both engines build the member set once
    // from the membership index instead of probing it for every user.
    if let Some(tenant) = filter.tenant {
        sql.push(
            " AND u.id IN (SELECT m.user_id FROM group_members m JOIN access_groups g ON g.id = m.group_id \
             WHERE g.business_id = ",
        )
        .text_bind(business.to_string())
        .push(" AND (g.kind = 'business' OR g.id IN (SELECT gt.group_id FROM group_tenants gt WHERE gt.tenant_id = ")
        .text_bind(tenant.to_string())
        .push(")))");
    }
    if let Some(q) = filter
        .query
        .as_deref()
        .map(str::to_lowercase)
        .filter(|q| !q.is_empty())
    {
        // Prefix ranges, not LIKE: they use the indexes and have no wildcards to escape.
        let end = prefix_end(&q);
        sql.push(" AND ((u.email >= ")
            .text_bind(q.clone())
            .push(" AND u.email < ")
            .text_bind(end.clone());
        sql.push(") OR (u.name_key >= ")
            .text_bind(q)
            .push(" AND u.name_key < ")
            .text_bind(end)
            .push("))");
    }
    sql
}

pub(crate) async fn list_users(
    c: &mut AnyConnection,
    business: BusinessId,
    filter: &UserFilter,
    after: Option<&str>,
    limit: u32,
) -> Result<(Vec<User>, i64)> {
    let mut count = user_filter(business, filter);
    count.text = format!("SELECT COUNT(*) AS n{}", count.text);
    let total = rows::int(&count.query().fetch_one(&mut *c).await.map_err(db)?, "n")?;

    let mut sql = user_filter(business, filter);
    sql.text = format!("SELECT {USER_COLS}{}", sql.text);
    if let Some(after) = after {
        sql.push(" AND u.email > ").text_bind(after);
    }
    sql.push(" ORDER BY u.email LIMIT ")
        .bind(Bind::Int(i64::from(limit)));
    let rows = sql.query().fetch_all(&mut *c).await.map_err(db)?;
    let mut users = rows.iter().map(rows::user).collect::<Result<Vec<_>>>()?;
    attach_groups(c, &mut users).await?;
    Ok((users, total))
}

// --- groups -----------------------------------------------------------------------------

const GROUP_COLS: &str = "g.id, g.business_id, g.name, g.description, g.kind, g.version, g.created_at, g.updated_at, \
     (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) AS member_count";

/// A group row with empty scope and grants; `complete_groups` fills them in.
fn group_row(row: &AnyRow) -> Result<(Group, bool)> {
    let is_business = rows::text(row, "kind")? == "business";
    let group = Group {
        id: rows::id(row, "id")?,
        business_id: rows::id(row, "business_id")?,
        name: rows::parsed(row, "name", GroupName::parse)?,
        description: rows::parsed(row, "description", Description::parse)?,
        scope: GroupScope::Business,
        grants: Grants::default(),
        member_count: rows::int(row, "member_count")?,
        version: rows::int(row, "version")?,
        created_at: rows::time(row, "created_at")?,
        updated_at: rows::time(row, "updated_at")?,
    };
    Ok((group, is_business))
}

/// Loads tenant sets and grants of the business's groups `rows` (all of them when `only` is None).
async fn complete_groups(
    c: &mut AnyConnection,
    business: BusinessId,
    only: Option<GroupId>,
    rows: Vec<(Group, bool)>,
) -> Result<Vec<Group>> {
    let scope_filter = |sql: &mut Sql| {
        sql.push(" WHERE g.business_id = ")
            .text_bind(business.to_string());
        if let Some(id) = only {
            sql.push(" AND g.id = ").text_bind(id.to_string());
        }
    };
    let mut tenants_sql = Sql::new(
        "SELECT t.group_id, t.tenant_id FROM group_tenants t JOIN access_groups g ON g.id = t.group_id",
    );
    scope_filter(&mut tenants_sql);
    let tenant_rows = tenants_sql.query().fetch_all(&mut *c).await.map_err(db)?;
    let mut perm_sql = Sql::new(
        "SELECT p.group_id, p.scope, p.permission FROM group_permissions p JOIN access_groups g ON g.id = p.group_id",
    );
    scope_filter(&mut perm_sql);
    let perm_rows = perm_sql.query().fetch_all(&mut *c).await.map_err(db)?;

    let mut groups = Vec::with_capacity(rows.len());
    for (mut group, is_business) in rows {
        let gid = group.id.to_string();
        if !is_business {
            let mut set = BTreeSet::new();
            for r in tenant_rows
                .iter()
                .filter(|r| rows::text(r, "group_id").is_ok_and(|g| g == gid))
            {
                set.insert(rows::id::<gatehouse_domain::ids::TenantKind>(
                    r,
                    "tenant_id",
                )?);
            }
            group.scope = GroupScope::Tenants(set);
        }
        for r in perm_rows
            .iter()
            .filter(|r| rows::text(r, "group_id").is_ok_and(|g| g == gid))
        {
            rows::add_grant(
                &mut group.grants,
                &rows::text(r, "scope")?,
                &rows::text(r, "permission")?,
            )?;
        }
        groups.push(group);
    }
    Ok(groups)
}

pub(crate) async fn get_group(
    c: &mut AnyConnection,
    business: BusinessId,
    id: GroupId,
) -> Result<Option<Group>> {
    let sql =
        format!("SELECT {GROUP_COLS} FROM access_groups g WHERE g.business_id = $1 AND g.id = $2");
    let row = sqlx::query(&sql)
        .bind(business.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *c)
        .await
        .map_err(db)?;
    let Some(row) = row else { return Ok(None) };
    let groups = complete_groups(c, business, Some(id), vec![group_row(&row)?]).await?;
    Ok(groups.into_iter().next())
}

pub(crate) async fn list_groups(c: &mut AnyConnection, business: BusinessId) -> Result<Vec<Group>> {
    let sql = format!(
        "SELECT {GROUP_COLS} FROM access_groups g WHERE g.business_id = $1 ORDER BY g.name_key"
    );
    let rows = sqlx::query(&sql)
        .bind(business.to_string())
        .fetch_all(&mut *c)
        .await
        .map_err(db)?;
    let rows = rows.iter().map(group_row).collect::<Result<Vec<_>>>()?;
    complete_groups(c, business, None, rows).await
}

pub(crate) async fn write_group_details(c: &mut AnyConnection, group: &Group) -> Result<()> {
    let gid = group.id.to_string();
    sqlx::query("DELETE FROM group_tenants WHERE group_id = $1")
        .bind(&gid)
        .execute(&mut *c)
        .await
        .map_err(db)?;
    sqlx::query("DELETE FROM group_permissions WHERE group_id = $1")
        .bind(&gid)
        .execute(&mut *c)
        .await
        .map_err(db)?;
    for tenant in group.scope.tenant_ids() {
        sqlx::query("INSERT INTO group_tenants (group_id, tenant_id) VALUES ($1, $2)")
            .bind(&gid)
            .bind(tenant.to_string())
            .execute(&mut *c)
            .await
            .map_err(db)?;
    }
    for (scope, permission) in group.grants.entries() {
        sqlx::query(
            "INSERT INTO group_permissions (group_id, scope, permission) VALUES ($1, $2, $3)",
        )
        .bind(&gid)
        .bind(scope)
        .bind(permission.as_str())
        .execute(&mut *c)
        .await
        .map_err(db)?;
    }
    Ok(())
}

// --- API keys ---------------------------------------------------------------------------

const API_KEY_COLS: &str = "id, business_id, name, secret_hash, grants, created_by, created_at, expires_at, last_used_at, revoked_at";

pub(crate) async fn get_api_key(
    c: &mut AnyConnection,
    business: Option<BusinessId>,
    id: ApiKeyId,
) -> Result<Option<StoredApiKey>> {
    let mut sql = Sql::new(&format!("SELECT {API_KEY_COLS} FROM api_keys WHERE id = "));
    sql.text_bind(id.to_string());
    if let Some(b) = business {
        sql.push(" AND business_id = ").text_bind(b.to_string());
    }
    let row = sql.query().fetch_optional(c).await.map_err(db)?;
    row.as_ref().map(rows::api_key).transpose()
}

pub(crate) async fn list_api_keys(
    c: &mut AnyConnection,
    business: BusinessId,
) -> Result<Vec<StoredApiKey>> {
    let sql =
        format!("SELECT {API_KEY_COLS} FROM api_keys WHERE business_id = $1 ORDER BY id DESC");
    let rows = sqlx::query(&sql)
        .bind(business.to_string())
        .fetch_all(c)
        .await
        .map_err(db)?;
    rows.iter().map(rows::api_key).collect()
}

// --- audit ------------------------------------------------------------------------------

pub(crate) async fn insert_audit_event(c: &mut AnyConnection, e: &AuditEvent) -> Result<()> {
    let json = |v: &Option<serde_json::Value>| v.as_ref().map(serde_json::Value::to_string);
    sqlx::query(
        "INSERT INTO audit_events (id, business_id, occurred_at, actor_kind, actor_id, actor_label, action, \
         target_kind, target_id, target_label, before_state, after_state, request_id, client_ip, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(e.id.to_string())
    .bind(e.business_id.map(|b| b.to_string()))
    .bind(to_micros(e.occurred_at))
    .bind(e.actor.kind.as_str())
    .bind(e.actor.id.clone())
    .bind(e.actor.label.clone())
    .bind(e.action.clone())
    .bind(e.target.kind.clone())
    .bind(e.target.id.clone())
    .bind(e.target.label.clone())
    .bind(json(&e.before))
    .bind(json(&e.after))
    .bind(e.request_id.clone())
    .bind(e.client_ip.clone())
    .bind(e.user_agent.clone())
    .execute(c)
    .await
    .map_err(db)?;
    Ok(())
}

fn audit_event(row: &AnyRow) -> Result<AuditEvent> {
    let json = |col: &str| -> Result<Option<serde_json::Value>> {
        rows::opt_text(row, col)?
            .map(|s| {
                serde_json::from_str(&s)
                    .map_err(|_| Error::Storage(format!("stored {col} does not parse")))
            })
            .transpose()
    };
    let business_id = rows::opt_text(row, "business_id")?
        .map(|s| {
            s.parse()
                .map_err(|_| Error::Storage("stored business_id does not parse".to_owned()))
        })
        .transpose()?;
    Ok(AuditEvent {
        id: rows::id(row, "id")?,
        occurred_at: rows::time(row, "occurred_at")?,
        business_id,
        actor: Actor {
            kind: rows::parsed(row, "actor_kind", |s| {
                ActorKind::parse(s).ok_or(Error::Storage(String::new()))
            })?,
            id: rows::opt_text(row, "actor_id")?,
            label: rows::text(row, "actor_label")?,
        },
        action: rows::text(row, "action")?,
        target: AuditTarget {
            kind: rows::text(row, "target_kind")?,
            id: rows::text(row, "target_id")?,
            label: rows::text(row, "target_label")?,
        },
        before: json("before_state")?,
        after: json("after_state")?,
        request_id: rows::opt_text(row, "request_id")?,
        client_ip: rows::opt_text(row, "client_ip")?,
        user_agent: rows::opt_text(row, "user_agent")?,
    })
}

pub(crate) async fn list_audit_events(
    c: &mut AnyConnection,
    business: BusinessId,
    f: &AuditFilter,
    limit: u32,
) -> Result<Vec<AuditEvent>> {
    let mut sql = Sql::new(
        "SELECT id, business_id, occurred_at, actor_kind, actor_id, actor_label, action, target_kind, target_id, \
         target_label, before_state, after_state, request_id, client_ip, user_agent FROM audit_events WHERE business_id = ",
    );
    sql.text_bind(business.to_string());
    if let Some(actor) = &f.actor_id {
        sql.push(" AND actor_id = ").text_bind(actor.clone());
    }
    if let Some(target) = &f.target_id {
        sql.push(" AND target_id = ").text_bind(target.clone());
    }
    if let Some(prefix) = &f.action_prefix {
        // `group` matches `group` and `group.*`, never `groupie.*`.
        sql.push(" AND (action = ").text_bind(prefix.clone());
        sql.push(" OR (action >= ").text_bind(format!("{prefix}."));
        sql.push(" AND action < ")
            .text_bind(prefix_end(&format!("{prefix}.")))
            .push("))");
    }
    if let Some(from) = f.from {
        sql.push(" AND occurred_at >= ")
            .bind(Bind::Int(to_micros(from)));
    }
    if let Some(to) = f.to {
        sql.push(" AND occurred_at < ")
            .bind(Bind::Int(to_micros(to)));
    }
    if let Some(before) = f.before_id {
        sql.push(" AND id < ").text_bind(before.to_string());
    }
    sql.push(" ORDER BY id DESC LIMIT ")
        .bind(Bind::Int(i64::from(limit)));
    let rows = sql.query().fetch_all(c).await.map_err(db)?;
    rows.iter().map(audit_event).collect()
}
