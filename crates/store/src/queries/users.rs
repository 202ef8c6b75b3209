//! Users: one, several, and filtered keyset pages with their total.

use gatehouse_domain::ids::{BusinessId, UserId};
use gatehouse_domain::model::{GroupRef, User};
use gatehouse_domain::store::{CURSOR_SEPARATOR, UserFilter, UserSort, UserTotal};
use gatehouse_domain::types::{Email, GroupName};
use gatehouse_domain::{Error, Result};
use sqlx::AnyConnection;

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

/// How a listing narrowed to members (of a group, or of any group covering a tenant) finds
/// them, chosen per listing by how many memberships those groups hold ([`members_plan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Members {
    /// Few: gather the members from the membership index, look each user up and sort them.
    /// The work grows with the members, not with the business (a small group of a large
    /// business stays fast).
    Gather,
    /// Many: walk the business's users in the listing's order and probe the membership
    /// index for each; a page fills after about `page / share of members` probes, where
    /// gathering would read and sort every member first.
    Probe,
}

/// The engine on the other end of `c`.
pub(super) fn backend_of(c: &AnyConnection) -> Backend {
    if c.backend_name() == "PostgreSQL" {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// A listing of one group's members, with no other condition.
fn is_one_group_alone(filter: &UserFilter) -> bool {
    filter.group.is_some()
        && filter.member_of_any.is_none()
        && filter.status.is_none()
        && super::user_totals::search_of(filter).is_none()
}

/// The groups a listing is narrowed to, if any.
fn member_groups(filter: &UserFilter) -> Option<Vec<String>> {
    match (filter.group, &filter.member_of_any) {
        (Some(group), _) => Some(vec![group.to_string()]),
        (None, Some(groups)) => Some(groups.iter().map(ToString::to_string).collect()),
        (None, None) => None,
    }
}

/// `IN (…)` of `groups`' ids.
fn push_in(sql: &mut Sql, groups: &[String]) {
    sql.push(" IN (");
    for (i, g) in groups.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.text_bind(g.as_str());
    }
    sql.push(")");
}

/// ` AND EXISTS …`: the user is a member of one of `groups`. On SQLite the groups are
/// tested in a CASE, so that it does not seek the membership index once per group for every
/// user (a tenant may be covered by a hundred groups): one seek on the user's memberships
/// (one or two rows), their group then checked against the list.
pub(super) fn probe_members(sql: &mut Sql, groups: &[String], backend: Backend) {
    match backend {
        Backend::Sqlite => {
            sql.push(" AND EXISTS (SELECT 1 FROM group_members m WHERE m.user_id = u.id AND CASE WHEN m.group_id");
            push_in(sql, groups);
            sql.push(" THEN 1 ELSE 0 END = 1)");
        }
        // PostgreSQL's index scan takes the list in its condition (and plans a fresh,
        // unanalysed table better that way).
        Backend::Postgres => {
            sql.push(
                " AND EXISTS (SELECT 1 FROM group_members m WHERE m.user_id = u.id AND m.group_id",
            );
            push_in(sql, groups);
            sql.push(")");
        }
    }
}

/// Gathering costs about the members' count, probing about `limit × users / members`: the
/// two meet near √(limit × users) memberships, which is all this counts up to (at 1M users
/// and pages of 51, about 7,000 index entries). Returns the plan and, when the count did not
/// reach that bound, the memberships counted: all of them.
pub(crate) async fn members_plan(
    c: &mut AnyConnection,
    business: BusinessId,
    filter: &UserFilter,
    limit: u32,
) -> Result<(Members, Option<i64>)> {
    let Some(groups) = member_groups(filter).filter(|g| !g.is_empty()) else {
        return Ok((Members::Gather, None));
    };
    let users = super::user_totals::status_count(c, business, None).await?;
    let enough = (((f64::from(limit) * users as f64).sqrt()) as i64).max(1_000);
    // The business's own memberships only: a group id of another business counts nothing
    // (the total of a listing is taken from this count).
    let mut sql = Sql::new(
        "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM group_members m WHERE m.business_id = ",
    );
    sql.text_bind(business.to_string()).push(" AND m.group_id");
    push_in(&mut sql, &groups);
    sql.push(" LIMIT ").bind(Bind::Int(enough + 1)).push(") s");
    let n = rows::int(&sql.query().fetch_one(&mut *c).await.map_err(db)?, "n")?;
    Ok(if n > enough {
        (Members::Probe, None)
    } else {
        (Members::Gather, Some(n))
    })
}

/// The FROM and WHERE clauses of a user listing (without the keyset condition).
pub(super) fn user_filter(
    business: BusinessId,
    filter: &UserFilter,
    members: Members,
    backend: Backend,
) -> Sql {
    let groups = member_groups(filter).unwrap_or_default();
    let gather_one = members == Members::Gather && filter.group.is_some();
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
        match members {
            // IN (subquery): both engines build the member set once from the membership
            // index instead of probing it for every user.
            Members::Gather => {
                sql.push(" AND u.id IN (SELECT m.user_id FROM group_members m WHERE m.group_id");
                push_in(&mut sql, &groups);
                sql.push(")");
            }
            Members::Probe => probe_members(&mut sql, &groups, backend),
        }
    }
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

/// How many users of the business are members of `filter`'s groups (and match its other
/// conditions), read from the membership index and stopped after `cap`: cheap however many
/// members there are.
pub(super) fn members_capped_count_sql(
    business: BusinessId,
    filter: &UserFilter,
    cap: i64,
) -> Option<Sql> {
    let groups = member_groups(filter).filter(|g| !g.is_empty())?;
    let mut sql = Sql::new(
        // CROSS JOIN: SQLite keeps the memberships as the outer loop (it would otherwise
        // walk the business's users and seek every group for each); PostgreSQL plans it as
        // any inner join.
        "SELECT COUNT(*) AS n FROM (SELECT DISTINCT m.user_id FROM group_members m \
         CROSS JOIN users u WHERE u.id = m.user_id AND m.group_id",
    );
    push_in(&mut sql, &groups);
    sql.push(" AND u.business_id = ")
        .text_bind(business.to_string());
    if let Some(status) = filter.status {
        sql.push(" AND u.status = ").text_bind(status.as_str());
    }
    if let Some(q) = super::user_totals::search_of(filter) {
        sql.push(" AND ");
        search_ranges(&mut sql, q);
    }
    sql.push(" LIMIT ").bind(Bind::Int(cap)).push(") s");
    Some(sql)
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
    business: BusinessId,
    filter: &UserFilter,
    after: Option<&str>,
    limit: u32,
) -> Result<(Vec<User>, UserTotal)> {
    let backend = backend_of(c);
    let (members, memberships) = members_plan(c, business, filter, limit).await?;
    let total = match memberships {
        // One group and nothing else: each of its memberships is one of the business's
        // users, so the plan's count was the total, or (when it reached its bound) more
        // than a capped count would count.
        Some(n) if is_one_group_alone(filter) => UserTotal {
            count: n,
            exact: true,
        },
        None if is_one_group_alone(filter) && !filter.exact_total => {
            super::user_totals::estimate(c, business, filter, backend).await?
        }
        _ => super::user_totals::user_total(c, business, filter, (members, backend)).await?,
    };
    let sql = page_sql(business, filter, (members, backend), after, limit)?;
    let rows = sql.query().fetch_all(&mut *c).await.map_err(db)?;
    let mut users = rows.iter().map(rows::user).collect::<Result<Vec<_>>>()?;
    attach_groups(c, &mut users).await?;
    Ok((users, total))
}

/// The query of one page of a listing.
pub(crate) fn page_sql(
    business: BusinessId,
    filter: &UserFilter,
    (members, backend): (Members, Backend),
    after: Option<&str>,
    limit: u32,
) -> Result<Sql> {
    let mut sql = user_filter(business, filter, members, backend);
    sql.text = format!("SELECT {USER_COLS}{}", sql.text);
    keyset(&mut sql, filter.sort, after)?;
    sql.push(" LIMIT ").bind(Bind::Int(i64::from(limit)));
    Ok(sql)
}
