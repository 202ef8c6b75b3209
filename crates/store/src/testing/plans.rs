//! What the engine plans to do for the users listing's statements, for tests that hold the
//! plans' shape (not their timing): `EXPLAIN` on PostgreSQL, `EXPLAIN QUERY PLAN` on SQLite.

use gatehouse_domain::ids::BusinessId;
use gatehouse_domain::store::UserFilter;
use sqlx::Row;

use crate::queries::{Sql, capped_count_sql, exact_count_sql, page_sql, sample_sql, search_of};
use crate::{Backend, SqlStore};

/// The plans of every statement a listing may run (its page, and its total counted capped,
/// exactly and by sample), each headed by `-- page`, `-- capped count`, ….
pub async fn explain_users_list(
    store: &SqlStore,
    business: BusinessId,
    filter: &UserFilter,
    after: Option<&str>,
) -> Result<String, String> {
    let statements = [
        (
            "page",
            page_sql(business, filter, after, 51).map_err(|e| e.to_string())?,
        ),
        ("capped count", capped_count_sql(business, filter)),
        ("exact count", exact_count_sql(business, filter)),
        ("sample", sample_sql(business, filter, search_of(filter))),
    ];
    let mut out = String::new();
    for (name, sql) in statements {
        out.push_str(&format!("-- {name}\n{}\n", explain(store, sql).await?));
    }
    Ok(out)
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
