//! What the engine plans to do for the users listing's statements, for tests that hold the
//! plans' shape (not their timing): `EXPLAIN` on PostgreSQL, `EXPLAIN QUERY PLAN` on SQLite.

use gatehouse_domain::ids::BusinessId;
use gatehouse_domain::store::UserFilter;
use sqlx::Row;

use crate::queries::{
    ListPlan, Members, Sql, capped_count_sql, exact_count_sql, page_sql, sample_sql, search_of,
};
use crate::{Backend, SqlStore};

/// The plans of every statement a listing may run (its page and exact count with members
/// gathered or probed, and its total counted capped and by sample), each headed by
/// `-- page, members gathered`, `-- capped count`, ….
pub async fn explain_users_list(
    store: &SqlStore,
    business: BusinessId,
    filter: &UserFilter,
    after: Option<&str>,
) -> Result<String, String> {
    let backend = store.backend();
    let fixed = |members| ListPlan::fixed(members, backend);
    let page =
        |members| page_sql(business, filter, &fixed(members), after, 51).map_err(|e| e.to_string());
    let statements = [
        ("page, members gathered", page(Members::Gather)?),
        ("page, members probed", page(Members::Probe)?),
        (
            "capped count",
            capped_count_sql(business, filter, &fixed(Members::Gather)),
        ),
        (
            "exact count, members gathered",
            exact_count_sql(business, filter, &fixed(Members::Gather)),
        ),
        (
            "exact count, members probed",
            exact_count_sql(business, filter, &fixed(Members::Probe)),
        ),
        (
            "sample",
            sample_sql(business, filter, search_of(filter), backend),
        ),
    ];
    let mut out = String::new();
    for (name, sql) in statements {
        out.push_str(&format!("-- {name}\n{}\n", explain(store, sql).await?));
    }
    Ok(out)
}

/// The ids of one page of a listing, its members found as `members` says (not as the store
/// would choose), for tests that hold both ways to the same answer.
pub async fn page_ids(
    store: &SqlStore,
    business: BusinessId,
    filter: &UserFilter,
    members: Members,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<String>, String> {
    let sql = page_sql(
        business,
        filter,
        &ListPlan::fixed(members, store.backend()),
        after,
        limit,
    )
    .map_err(|e| e.to_string())?;
    let rows = sql
        .query()
        .fetch_all(store.writer())
        .await
        .map_err(|e| e.to_string())?;
    rows.iter()
        .map(|r| r.try_get::<String, _>("id").map_err(|e| e.to_string()))
        .collect()
}

/// The plan of the statement listing the business's groups (with their member counts).
pub async fn explain_groups_list(store: &SqlStore, business: BusinessId) -> Result<String, String> {
    let mut sql = Sql::new(&crate::queries::list_groups_sql());
    sql.binds_text(business.to_string());
    explain(store, sql).await
}

async fn explain(store: &SqlStore, mut sql: Sql) -> Result<String, String> {
    let prefix = match store.backend() {
        Backend::Postgres => "EXPLAIN ",
        Backend::Sqlite => "EXPLAIN QUERY PLAN ",
    };
    sql.prefix(prefix);
    let rows = sql
        .query()
        .fetch_all(store.writer())
        .await
        .map_err(|e| e.to_string())?;
    let column = match store.backend() {
        Backend::Postgres => 0,
        // id, parent, notused, detail
        Backend::Sqlite => 3,
    };
    rows.iter()
        .map(|r| r.try_get::<String, _>(column).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()
        .map(|lines| lines.join("\n"))
}
