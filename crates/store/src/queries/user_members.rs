//! How a user listing narrowed to members (of a group, of a tenant's groups) finds them:
//! the plan chosen once per listing by how many memberships those groups hold, and the SQL
//! conditions each way needs.

use gatehouse_domain::Result;
use gatehouse_domain::ids::BusinessId;
use gatehouse_domain::store::UserFilter;
use sqlx::AnyConnection;

use super::users::search_ranges;
use super::{Bind, Sql};
use crate::Backend;
use crate::error::db;
use crate::rows;

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

/// How one listing runs, decided once by [`plan`] and read by every statement it makes.
#[derive(Debug, Clone, Copy)]
pub struct ListPlan {
    pub members: Members,
    pub backend: Backend,
    /// Every membership of the groups the listing is driven by ([`member_groups`]), when
    /// [`plan`] counted them all (fewer than its bound).
    pub memberships: Option<i64>,
    /// The business's users, when [`plan`] read the counters.
    pub users: Option<i64>,
}

impl ListPlan {
    /// A plan that finds members as `members` says, whatever their number (for tests).
    pub fn fixed(members: Members, backend: Backend) -> Self {
        Self {
            members,
            backend,
            memberships: None,
            users: None,
        }
    }
}

/// A listing of one group's members, with no other condition.
pub(super) fn is_one_group_alone(filter: &UserFilter) -> bool {
    filter.group.is_some()
        && filter.member_of_any.is_none()
        && filter.status.is_none()
        && super::user_totals::search_of(filter).is_none()
}

/// The groups a listing is driven by, if any: the group asked for, else the tenant's.
pub(super) fn member_groups(filter: &UserFilter) -> Option<Vec<String>> {
    match (filter.group, &filter.member_of_any) {
        (Some(group), _) => Some(vec![group.to_string()]),
        (None, Some(groups)) => Some(groups.iter().map(ToString::to_string).collect()),
        (None, None) => None,
    }
}

/// ` AND …` the tenant's condition when the listing is driven by a group
/// ([`member_groups`]) and asks for a tenant too: its members must also be in one of the
/// tenant's groups.
pub(super) fn push_tenant_beside_group(sql: &mut Sql, filter: &UserFilter, backend: Backend) {
    let (Some(_), Some(tenant)) = (filter.group, &filter.member_of_any) else {
        return;
    };
    if tenant.is_empty() {
        sql.push(" AND 1 = 0");
    } else {
        let groups: Vec<String> = tenant.iter().map(ToString::to_string).collect();
        probe_members(sql, &groups, backend);
    }
}

/// `IN (…)` of `groups`' ids.
pub(super) fn push_in(sql: &mut Sql, groups: &[String]) {
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
/// and pages of 51, about 7,000 index entries).
pub(crate) async fn plan(
    c: &mut AnyConnection,
    business: BusinessId,
    filter: &UserFilter,
    limit: u32,
    backend: Backend,
) -> Result<ListPlan> {
    let Some(groups) = member_groups(filter).filter(|g| !g.is_empty()) else {
        return Ok(ListPlan::fixed(Members::Gather, backend));
    };
    let users = super::user_totals::status_count(c, business, None).await?;
    let enough = (((f64::from(limit) * users as f64).sqrt()) as i64).max(1_000);
    // The business's own memberships only: a group id of another business counts nothing
    // (the total of a listing may be taken from this count).
    let mut sql = Sql::new(
        "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM group_members m WHERE m.business_id = ",
    );
    sql.text_bind(business.to_string()).push(" AND m.group_id");
    push_in(&mut sql, &groups);
    sql.push(" LIMIT ").bind(Bind::Int(enough + 1)).push(") s");
    let n = rows::int(&sql.query().fetch_one(&mut *c).await.map_err(db)?, "n")?;
    let (members, memberships) = if n > enough {
        (Members::Probe, None)
    } else {
        (Members::Gather, Some(n))
    };
    Ok(ListPlan {
        members,
        backend,
        memberships,
        users: Some(users),
    })
}

/// How many users of the business are members of `filter`'s groups (and match its other
/// conditions), read from the membership index and stopped after `cap`: cheap however many
/// members there are.
pub(super) fn members_capped_count_sql(
    business: BusinessId,
    filter: &UserFilter,
    backend: Backend,
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
    push_tenant_beside_group(&mut sql, filter, backend);
    if let Some(q) = super::user_totals::search_of(filter) {
        sql.push(" AND ");
        search_ranges(&mut sql, q);
    }
    sql.push(" LIMIT ").bind(Bind::Int(cap)).push(") s");
    Some(sql)
}
