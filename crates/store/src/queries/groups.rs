//! Groups with their tenant sets, grants and member counts.

use std::collections::{BTreeSet, HashMap};

use gatehouse_domain::Result;
use gatehouse_domain::grants::Grants;
use gatehouse_domain::ids::{BusinessId, GroupId};
use gatehouse_domain::model::{Group, GroupScope};
use gatehouse_domain::types::{Description, GroupName};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::Sql;
use crate::error::db;
use crate::rows;

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

    // Rows by group first: one pass over each result, not one per group (500 groups of a
    // large business made this quadratic).
    let mut tenants_of: HashMap<String, Vec<&AnyRow>> = HashMap::new();
    for r in &tenant_rows {
        tenants_of
            .entry(rows::text(r, "group_id")?)
            .or_default()
            .push(r);
    }
    let mut perms_of: HashMap<String, Vec<&AnyRow>> = HashMap::new();
    for r in &perm_rows {
        perms_of
            .entry(rows::text(r, "group_id")?)
            .or_default()
            .push(r);
    }
    let mut groups = Vec::with_capacity(rows.len());
    for (mut group, is_business) in rows {
        let gid = group.id.to_string();
        if !is_business {
            let mut set = BTreeSet::new();
            for r in tenants_of.get(&gid).into_iter().flatten() {
                set.insert(rows::id::<gatehouse_domain::ids::TenantKind>(
                    r,
                    "tenant_id",
                )?);
            }
            group.scope = GroupScope::Tenants(set);
        }
        for r in perms_of.get(&gid).into_iter().flatten() {
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

/// The business's groups (`$1`), by name.
pub(crate) fn list_groups_sql() -> String {
    format!("SELECT {GROUP_COLS} FROM access_groups g WHERE g.business_id = $1 ORDER BY g.name_key")
}

pub(crate) async fn list_groups(c: &mut AnyConnection, business: BusinessId) -> Result<Vec<Group>> {
    let sql = list_groups_sql();
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
        .bind(scope.as_str())
        .bind(permission.as_str())
        .execute(&mut *c)
        .await
        .map_err(db)?;
    }
    Ok(())
}
