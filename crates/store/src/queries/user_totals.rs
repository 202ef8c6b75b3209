//! The total of a users listing: exact when that is cheap, an estimate ("about 470,000")
//! when the filter matches many users, exact on request.
//!
//! - No filter, or the status filter alone: the per-status counters on the business row,
//!   which triggers keep in the statement that changes a user (migration `…23000001_plans`).
//! - Any other filter: a count capped at [`EXACT_UP_TO`] + 1 matches. Up to the cap it is
//!   the exact total; beyond it, the share of matches among the business's [`SAMPLE`]
//!   oldest users (by id, which neither the email, the name nor a group membership orders)
//!   times the business's user count, to two significant figures.
//! - [`UserFilter::exact_total`]: every match counted, whatever it costs.

use gatehouse_domain::Result;
use gatehouse_domain::ids::BusinessId;
use gatehouse_domain::model::UserStatus;
use gatehouse_domain::store::{UserFilter, UserTotal};
use sqlx::AnyConnection;

use super::user_members::{ListPlan, is_one_group_alone, members_capped_count_sql, probe_members};
use super::users::{search_ranges, user_filter};
use super::{Bind, Sql};
use crate::Backend;
use crate::error::db;
use crate::rows;

/// A filtered listing matching up to this many users is counted exactly.
pub(crate) const EXACT_UP_TO: i64 = 1_000;
/// How many users the estimate looks at.
pub(crate) const SAMPLE: i64 = 2_000;

pub(crate) async fn user_total(
    c: &mut AnyConnection,
    business: BusinessId,
    filter: &UserFilter,
    plan: &ListPlan,
) -> Result<UserTotal> {
    let query = search_of(filter);
    let narrowed = filter.group.is_some() || filter.member_of_any.is_some() || query.is_some();
    if !narrowed {
        let count = status_count(c, business, filter.status).await?;
        return Ok(UserTotal { count, exact: true });
    }
    // One group and nothing else: each of its memberships is one of the business's users,
    // so the plan's count, when it counted them all, is the total; when it reached its
    // bound, they are more than a capped count would count.
    let alone = is_one_group_alone(filter);
    if let (true, Some(count)) = (alone, plan.memberships) {
        return Ok(UserTotal { count, exact: true });
    }
    if filter.exact_total {
        let sql = exact_count_sql(business, filter, plan);
        let count = rows::int(&sql.query().fetch_one(&mut *c).await.map_err(db)?, "n")?;
        return Ok(UserTotal { count, exact: true });
    }
    let counted = if alone {
        EXACT_UP_TO + 1
    } else {
        let capped = capped_count_sql(business, filter, plan);
        rows::int(&capped.query().fetch_one(&mut *c).await.map_err(db)?, "n")?
    };
    if counted <= EXACT_UP_TO {
        return Ok(UserTotal {
            count: counted,
            exact: true,
        });
    }
    let estimate = sample_estimate(c, business, filter, query, plan).await?;
    Ok(UserTotal {
        count: estimate.max(counted),
        exact: false,
    })
}

/// Every match counted.
pub(crate) fn exact_count_sql(business: BusinessId, filter: &UserFilter, plan: &ListPlan) -> Sql {
    let mut sql = user_filter(business, filter, plan);
    sql.text = format!("SELECT COUNT(*) AS n{}", sql.text);
    sql
}

/// The matches counted up to one more than [`EXACT_UP_TO`]. Members are counted from the
/// membership index (stopping at the cap) rather than as the page finds them: probing for
/// a rare member, or gathering a common one, would read far more.
pub(crate) fn capped_count_sql(business: BusinessId, filter: &UserFilter, plan: &ListPlan) -> Sql {
    if let Some(sql) = members_capped_count_sql(business, filter, plan.backend, EXACT_UP_TO + 1) {
        return sql;
    }
    let mut sql = user_filter(business, filter, plan);
    sql.text = format!("SELECT COUNT(*) AS n FROM (SELECT 1 AS one{}", sql.text);
    sql.push(" LIMIT ")
        .bind(Bind::Int(EXACT_UP_TO + 1))
        .push(") s");
    sql
}

/// The lower-cased search text, when there is one.
pub(crate) fn search_of(filter: &UserFilter) -> Option<String> {
    filter
        .query
        .as_deref()
        .map(str::to_lowercase)
        .filter(|q| !q.is_empty())
}

/// The business's users in `status` (all of them without), from the counters.
pub(super) async fn status_count(
    c: &mut AnyConnection,
    business: BusinessId,
    status: Option<UserStatus>,
) -> Result<i64> {
    let row = sqlx::query(
        "SELECT users_pending, users_active, users_locked, users_deactivated FROM businesses WHERE id = $1",
    )
    .bind(business.to_string())
    .fetch_optional(&mut *c)
    .await
    .map_err(db)?;
    let Some(row) = row else { return Ok(0) };
    let of = |s: UserStatus| rows::int(&row, &format!("users_{}", s.as_str()));
    match status {
        Some(s) => of(s),
        None => Ok(of(UserStatus::Pending)?
            + of(UserStatus::Active)?
            + of(UserStatus::Locked)?
            + of(UserStatus::Deactivated)?),
    }
}

/// The business's user count times the share of the sample that matches `filter`.
async fn sample_estimate(
    c: &mut AnyConnection,
    business: BusinessId,
    filter: &UserFilter,
    query: Option<String>,
    plan: &ListPlan,
) -> Result<i64> {
    let all = match plan.users {
        Some(users) => users,
        None => status_count(c, business, None).await?,
    };
    let sql = sample_sql(business, filter, query, plan.backend);
    let row = sql.query().fetch_one(&mut *c).await.map_err(db)?;
    let (n, hits) = (rows::int(&row, "n")?, rows::int(&row, "hits")?);
    if n == 0 {
        return Ok(0);
    }
    Ok(two_figures(all.saturating_mul(hits) / n))
}

/// How many of the business's [`SAMPLE`] oldest users there are (`n`) and match (`hits`).
pub(crate) fn sample_sql(
    business: BusinessId,
    filter: &UserFilter,
    query: Option<String>,
    backend: Backend,
) -> Sql {
    let mut sql = Sql::new("SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN 1 = 1");
    if let Some(status) = filter.status {
        sql.push(" AND u.status = ").text_bind(status.as_str());
    }
    if let Some(group) = filter.group {
        probe_members(&mut sql, &[group.to_string()], backend);
    }
    if let Some(groups) = &filter.member_of_any {
        // Never empty here: an empty set matches nobody and was counted exactly.
        let groups: Vec<String> = groups.iter().map(ToString::to_string).collect();
        probe_members(&mut sql, &groups, backend);
    }
    if let Some(q) = query {
        sql.push(" AND ");
        search_ranges(&mut sql, q);
    }
    sql.push(" THEN 1 ELSE 0 END), 0) AS hits FROM (SELECT u.id, u.status, u.email, u.name_key FROM users u WHERE u.business_id = ")
        .text_bind(business.to_string())
        .push(" ORDER BY u.id LIMIT ")
        .bind(Bind::Int(SAMPLE))
        .push(") u");
    sql
}

/// `n` to two significant figures (473,201 → 470,000): an estimate says no more than it knows.
fn two_figures(n: i64) -> i64 {
    let mut unit = 1;
    while n / unit >= 100 {
        unit *= 10;
    }
    (n + unit / 2) / unit * unit
}

#[cfg(test)]
mod tests {
    use super::two_figures;

    #[test]
    fn rounds_to_two_significant_figures() {
        assert_eq!(two_figures(473_201), 470_000);
        assert_eq!(two_figures(475_000), 480_000);
        assert_eq!(two_figures(1_049), 1_000);
        assert_eq!(two_figures(99), 99);
        assert_eq!(two_figures(0), 0);
    }
}
