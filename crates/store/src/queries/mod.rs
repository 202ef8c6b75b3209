//! The SQL, shared by reads outside and inside write transactions. Every query that takes a
//! business id filters on it: nothing crosses the business boundary.

use gatehouse_domain::Result;
use gatehouse_domain::ids::{ApiKeyId, BusinessId, TenantId};
use gatehouse_domain::model::{Business, StoredApiKey, Tenant};
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection};

use crate::error::db;
use crate::rows;

mod audit;
mod groups;
pub(crate) mod user_members;
mod user_totals;
pub(crate) mod users;

pub(crate) use audit::{AUDIT_COLUMNS, audit_event, insert_audit_events, list_audit_events};
pub(crate) use groups::{get_group, list_groups, write_group_details};
pub(crate) use users::{
    USER_COLS, attach_groups, get_user, get_users, get_users_by_email, list_users,
};
// The statements a listing runs, for the tests of their plans.
#[cfg(feature = "testing")]
pub(crate) use groups::list_groups_sql;
#[cfg(feature = "testing")]
pub(crate) use user_members::{ListPlan, Members};
#[cfg(feature = "testing")]
pub(crate) use user_totals::{capped_count_sql, exact_count_sql, sample_sql, search_of};
#[cfg(feature = "testing")]
pub(crate) use users::page_sql;

/// A value to bind to a dynamically built query.
pub(crate) enum Bind {
    Text(String),
    Int(i64),
    OptText(Option<String>),
    OptInt(Option<i64>),
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

    /// Binds `value` to the next placeholder the text already holds (`$1`, `$2`, …).
    #[cfg(feature = "testing")]
    pub(crate) fn binds_text(&mut self, value: String) -> &mut Self {
        self.binds.push(Bind::Text(value));
        self
    }

    /// Puts `text` before the statement (`EXPLAIN `).
    #[cfg(feature = "testing")]
    pub(crate) fn prefix(&mut self, text: &str) {
        self.text.insert_str(0, text);
    }

    pub(crate) fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        self.binds
            .iter()
            .fold(sqlx::query(&self.text), |q, b| match b {
                Bind::Text(s) => q.bind(s.as_str()),
                Bind::Int(i) => q.bind(*i),
                Bind::OptText(s) => q.bind(s.clone()),
                Bind::OptInt(i) => q.bind(*i),
            })
    }
}

/// At most this many values bound in one statement. SQLite allows 32,766, but binding
/// slows down with the number of parameters (each is found by name): a few hundred rows per
/// statement keep almost all of the gain.
const MAX_BINDS: usize = 2_000;

/// Inserts `rows` (each with one value per column of `into`, e.g. `t (a, b)`) with as few
/// multi-row `INSERT … VALUES (…), (…)` statements as the bind limit allows, each followed by
/// `suffix` (e.g. an `ON CONFLICT` clause). Returns the rows inserted.
pub(crate) async fn insert_rows(
    c: &mut sqlx::AnyConnection,
    into: &str,
    suffix: &str,
    rows: Vec<Vec<Bind>>,
) -> gatehouse_domain::Result<u64> {
    let width = rows.first().map_or(1, Vec::len).max(1);
    let per = (MAX_BINDS / width).max(1);
    let mut inserted = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut sql = Sql::new(&format!("INSERT INTO {into} VALUES "));
        for (i, row) in rows.by_ref().take(per).enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            for (j, value) in row.into_iter().enumerate() {
                if j > 0 {
                    sql.push(", ");
                }
                sql.bind(value);
            }
            sql.push(")");
        }
        sql.push(suffix);
        inserted += sql
            .query()
            .execute(&mut *c)
            .await
            .map_err(crate::error::db)?
            .rows_affected();
    }
    Ok(inserted)
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
        // An administrator's lookup: an application's service key is managed through its
        // application, not as a key of its own.
        sql.push(" AND business_id = ")
            .text_bind(b.to_string())
            .push(" AND application_id IS NULL");
    }
    let row = sql.query().fetch_optional(c).await.map_err(db)?;
    row.as_ref().map(rows::api_key).transpose()
}

pub(crate) async fn list_api_keys(
    c: &mut AnyConnection,
    business: BusinessId,
) -> Result<Vec<StoredApiKey>> {
    let sql = format!(
        "SELECT {API_KEY_COLS} FROM api_keys WHERE business_id = $1 AND application_id IS NULL ORDER BY id DESC"
    );
    let rows = sqlx::query(&sql)
        .bind(business.to_string())
        .fetch_all(c)
        .await
        .map_err(db)?;
    rows.iter().map(rows::api_key).collect()
}
