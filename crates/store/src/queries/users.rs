//! Users: one, several, and filtered keyset pages with their total.

use gatehouse_domain::ids::{BusinessId, UserId};
use gatehouse_domain::model::{GroupRef, User};
use gatehouse_domain::store::{CURSOR_SEPARATOR, UserFilter, UserSort, UserTotal};
use gatehouse_domain::types::{Email, GroupName};
use gatehouse_domain::{Error, Result};
use sqlx::AnyConnection;

use super::user_members::{
    ListPlan, Members, member_groups, plan, probe_members, push_in, push_tenant_beside_group,
};
use super::{Bind, Sql, prefix_end};
use crate::Backend;
use crate::error::db;
use crate::rows;

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
    let at: std::collections::HashMap<UserId, usize> =
        users.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
    for row in &rows {
        let user: UserId = rows::id(row, "user_id")?;
        let group = GroupRef {
            id: rows::id(row, "id")?,
            name: rows::parsed(row, "name", GroupName::parse)?,
        };
        if let Some(u) = at.get(&user).and_then(|&i| users.get_mut(i)) {
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
    let keys: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let mut users = users_where_in(c, business, "u.id", &keys).await?;
    let order: std::collections::HashMap<UserId, usize> =
        ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    users.sort_by_key(|u| order.get(&u.id).copied().unwrap_or(usize::MAX));
    Ok(users)
}

/// The users of the business with these emails, in no particular order.
pub(crate) async fn get_users_by_email(
    c: &mut AnyConnection,
    business: BusinessId,
    emails: &[Email],
) -> Result<Vec<User>> {
    let keys: Vec<String> = emails.iter().map(|e| e.as_str().to_owned()).collect();
    users_where_in(c, business, "u.email", &keys).await
}

/// The users of the business whose `column` is one of `values` (500 per query), with their
/// groups.
async fn users_where_in(
    c: &mut AnyConnection,
    business: BusinessId,
    column: &str,
    values: &[String],
) -> Result<Vec<User>> {
    let mut users = Vec::with_capacity(values.len());
    for chunk in values.chunks(500) {
        let mut sql = Sql::new(&format!(
            "SELECT {USER_COLS} FROM users u WHERE u.business_id = "
        ));
        sql.text_bind(business.to_string())
            .push(&format!(" AND {column} IN ("));
        for (i, value) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.text_bind(value.as_str());
        }
        sql.push(")");
        let rows = sql.query().fetch_all(&mut *c).await.map_err(db)?;
        users.extend(rows.iter().map(rows::user).collect::<Result<Vec<_>>>()?);
    }
    attach_groups(c, &mut users).await?;
    Ok(users)
}

/// Users whose email or lower-cased name starts with `q` (lower-cased). Prefix ranges, not
/// LIKE: they use the indexes and have no wildcards to escape.
pub(super) fn search_ranges(sql: &mut Sql, q: String) {
    let end = prefix_end(&q);
    sql.push("((u.email >= ")
        .text_bind(q.clone())
        .push(" AND u.email < ")
        .text_bind(end.clone());
    sql.push(") OR (u.name_key >= ")
        .text_bind(q)
        .push(" AND u.name_key < ")
        .text_bind(end)
        .push("))");
}

/// The FROM and WHERE clauses of a user listing (without the keyset condition).
pub(super) fn user_filter(business: BusinessId, filter: &UserFilter, plan: &ListPlan) -> Sql {
    let groups = member_groups(filter).unwrap_or_default();
    let gather_one = plan.members == Members::Gather && filter.group.is_some();
    let mut sql = if gather_one {
        // From the membership index, each member joined to their user.
        let mut sql =
            Sql::new(" FROM group_members gm JOIN users u ON u.id = gm.user_id WHERE gm.group_id");
        push_in(&mut sql, &groups);
        sql.push(" AND u.business_id = ");
        sql
    } else {
        Sql::new(" FROM users u WHERE u.business_id = ")
    };
    sql.text_bind(business.to_string());
    if let Some(status) = filter.status {
        sql.push(" AND u.status = ").text_bind(status.as_str());
    }
    let narrowed = filter.group.is_some() || filter.member_of_any.is_some();
    if narrowed && groups.is_empty() {
        sql.push(" AND 1 = 0");
    } else if narrowed && !gather_one {
        match plan.members {
            // IN (subquery): both engines build the member set once from the membership
            // index instead of probing it for every user.
            Members::Gather => {
                sql.push(" AND u.id IN (SELECT m.user_id FROM group_members m WHERE m.group_id");
                push_in(&mut sql, &groups);
                sql.push(")");
            }
            Members::Probe => probe_members(&mut sql, &groups, plan.backend),
        }
    }
    push_tenant_beside_group(&mut sql, filter, plan.backend);
    if let Some(q) = filter
        .query
        .as_deref()
        .map(str::to_lowercase)
        .filter(|q| !q.is_empty())
    {
        sql.push(" AND ");
        search_ranges(&mut sql, q);
    }
    sql
}

/// The keyset condition (after the cursor) and the ORDER BY of `sort`.
fn keyset(sql: &mut Sql, sort: UserSort, after: Option<&str>) -> Result<()> {
    let (column, desc) = match sort {
        UserSort::Email => ("u.email", false),
        UserSort::EmailDesc => ("u.email", true),
        UserSort::Name => ("u.name_key", false),
        UserSort::NameDesc => ("u.name_key", true),
        UserSort::Newest => ("u.id", true),
        UserSort::Oldest => ("u.id", false),
    };
    let op = if desc { " < " } else { " > " };
    let dir = if desc { " DESC" } else { "" };
    match (sort, after) {
        (_, None) => {}
        (UserSort::Name | UserSort::NameDesc, Some(after)) => {
            // Names repeat: the id breaks ties. The bound on the name alone comes first, so
            // both engines start the index walk there instead of reading from the start.
            let (name, id) = after
                .split_once(CURSOR_SEPARATOR)
                .ok_or(Error::InvalidCursor)?;
            let bound = if desc { " <= " } else { " >= " };
            sql.push(&format!(" AND {column}{bound}")).text_bind(name);
            sql.push(&format!(" AND ({column}{op}")).text_bind(name);
            sql.push(&format!(" OR u.id{op}")).text_bind(id).push(")");
        }
        (_, Some(after)) => {
            sql.push(&format!(" AND {column}{op}")).text_bind(after);
        }
    }
    sql.push(&format!(" ORDER BY {column}{dir}, u.id{dir}"));
    Ok(())
}

pub(crate) async fn list_users(
    c: &mut AnyConnection,
    backend: Backend,
    business: BusinessId,
    filter: &UserFilter,
    after: Option<&str>,
    limit: u32,
) -> Result<(Vec<User>, UserTotal)> {
    let plan = plan(c, business, filter, limit, backend).await?;
    let total = super::user_totals::user_total(c, business, filter, &plan).await?;
    let sql = page_sql(business, filter, &plan, after, limit)?;
    let rows = sql.query().fetch_all(&mut *c).await.map_err(db)?;
    let mut users = rows.iter().map(rows::user).collect::<Result<Vec<_>>>()?;
    attach_groups(c, &mut users).await?;
    Ok((users, total))
}

/// The query of one page of a listing.
pub(crate) fn page_sql(
    business: BusinessId,
    filter: &UserFilter,
    plan: &ListPlan,
    after: Option<&str>,
    limit: u32,
) -> Result<Sql> {
    let mut sql = user_filter(business, filter, plan);
    sql.text = format!("SELECT {USER_COLS}{}", sql.text);
    keyset(&mut sql, filter.sort, after)?;
    sql.push(" LIMIT ").bind(Bind::Int(i64::from(limit)));
    Ok(sql)
}
