//! What `/metrics` reads of the database: how much mail and how many webhook deliveries wait
//! or are under way (counted through the partial and state indexes the senders use), and
//! each connection pool's use (from the pools themselves, no query).

use gatehouse_domain::Result;
use gatehouse_domain::store::{PoolGauge, StoreGauges};
use sqlx::AnyPool;

use crate::Backend;
use crate::error::db;
use crate::rows;
use crate::store::SqlStore;

fn pool(name: &'static str, p: &AnyPool) -> PoolGauge {
    let idle = u32::try_from(p.num_idle()).unwrap_or(u32::MAX);
    PoolGauge {
        name,
        open: p.size(),
        idle,
        max: p.options().get_max_connections(),
    }
}

fn count(row: &sqlx::any::AnyRow, col: &str) -> Result<u64> {
    Ok(u64::try_from(rows::int(row, col)?).unwrap_or(0))
}

pub(crate) async fn read(store: &SqlStore) -> Result<StoreGauges> {
    let row = sqlx::query(
        "SELECT \
         (SELECT COUNT(*) FROM mail_outbox WHERE state = 'pending') AS mail_pending, \
         (SELECT COUNT(*) FROM mail_outbox WHERE state = 'sending') AS mail_sending, \
         (SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending') AS webhooks_pending, \
         (SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'sending') AS webhooks_sending",
    )
    .fetch_one(&store.reader)
    .await
    .map_err(db)?;
    Ok(StoreGauges {
        mail_pending: count(&row, "mail_pending")?,
        mail_sending: count(&row, "mail_sending")?,
        webhooks_pending: count(&row, "webhooks_pending")?,
        webhooks_sending: count(&row, "webhooks_sending")?,
        pools: match store.backend {
            // One pool serves reads and writes.
            Backend::Postgres => vec![pool("shared", &store.reader)],
            Backend::Sqlite => vec![
                pool("reader", &store.reader),
                pool("writer", store.writer()),
            ],
        },
    })
}
