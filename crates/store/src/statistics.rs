//! The planner's statistics. Refreshed after migrations and large imports; and, on
//! PostgreSQL, by a users listing that finds them far behind the business it lists (bulk
//! loaded, restored, autovacuum off or not yet round), so that no plan rests on the
//! statistics of a table that was nearly empty when last analysed.

use gatehouse_domain::Result;
use gatehouse_domain::ids::BusinessId;

use crate::connect::Backend;
use crate::error::db;
use crate::rows;
use crate::store::SqlStore;

/// Below this many users a business lists fast whatever the plan.
const STALE_FROM: i64 = 10_000;

/// Brings the statistics of the tables the listings and the access model read up to date.
pub(crate) async fn refresh(store: &SqlStore) -> Result<()> {
    let sql = match store.backend() {
        // ANALYZE samples a bounded number of rows per table: quick on a large database.
        Backend::Postgres => {
            "ANALYZE users, group_members, access_groups, group_tenants, businesses"
        }
        // Analyses what changed enough since it was last analysed, with a bounded sample.
        Backend::Sqlite => "PRAGMA optimize=0x10002",
    };
    sqlx::query(sql).execute(store.writer()).await.map_err(db)?;
    Ok(())
}

/// PostgreSQL: refreshes the statistics when the planner believes the users table holds
/// fewer than half the users this business alone has (its counters are exact). One node
/// analyses at a time; a listing that finds an analysis under way goes on without waiting.
pub(crate) async fn refresh_if_stale(store: &SqlStore, business: BusinessId) -> Result<()> {
    if store.backend() != Backend::Postgres {
        return Ok(());
    }
    let row = sqlx::query(
        "SELECT CAST(c.reltuples AS BIGINT) AS planned, \
         b.users_pending + b.users_active + b.users_locked + b.users_deactivated AS users \
         FROM pg_class c, businesses b WHERE c.oid = to_regclass('users') AND b.id = $1",
    )
    .bind(business.to_string())
    .fetch_optional(store.reader())
    .await
    .map_err(db)?;
    let Some(row) = row else { return Ok(()) };
    let (planned, users) = (rows::int(&row, "planned")?, rows::int(&row, "users")?);
    if users < STALE_FROM || planned >= users / 2 {
        return Ok(());
    }
    let Ok(_turn) = store.analysing.try_lock() else {
        return Ok(());
    };
    tracing::info!(
        planned,
        users,
        "planner statistics behind the data; refreshing"
    );
    refresh(store).await
}
