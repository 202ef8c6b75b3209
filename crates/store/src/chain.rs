//! The audit hash chain in the database: each business's head (`audit_heads`), locked while
//! a transaction appends to the chain (a row lock on PostgreSQL — taken by an `UPDATE` — and
//! SQLite's single writer), the backfill of events that predate the chain, and the pages an
//! export reads (verification's walk: `chain_walk`).

use std::collections::BTreeMap;

use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::audit_chain::{ChainHead, link};
use gatehouse_domain::ids::BusinessId;
use gatehouse_domain::{Error, Result};
use sqlx::AnyConnection;

use crate::error::db;
use crate::queries::{AUDIT_COLUMNS, audit_event};
use crate::rows;
use crate::store::SqlStore;

/// How many pre-chain events the backfill links per statement batch.
const BACKFILL_BATCH: i64 = 1_000;

/// Links `events` into their businesses' chains: locks each business's head (in id order,
/// so two transactions never wait on each other crosswise), links the events in the order
/// given and moves the head on. Events of no business stay unlinked.
pub(crate) async fn link_events(c: &mut AnyConnection, events: &mut [AuditEvent]) -> Result<()> {
    let mut by_business: BTreeMap<BusinessId, Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        if let Some(b) = e.business_id {
            by_business.entry(b).or_default().push(i);
        }
    }
    for (business, indexes) in by_business {
        let mut head = lock_head(c, business).await?;
        for i in indexes {
            if let Some(e) = events.get_mut(i) {
                link(e, &mut head);
            }
        }
        set_head(c, business, &head).await?;
    }
    Ok(())
}

/// Locks the business's chain head and returns it, linking pre-chain events first.
async fn lock_head(c: &mut AnyConnection, business: BusinessId) -> Result<ChainHead> {
    // An UPDATE that changes nothing still takes the row lock on PostgreSQL.
    let lock =
        "UPDATE audit_heads SET seq = seq WHERE business_id = $1 RETURNING seq, hash, backfill_to";
    let mut row = sqlx::query(lock)
        .bind(business.to_string())
        .fetch_optional(&mut *c)
        .await
        .map_err(db)?;
    if row.is_none() {
        sqlx::query("INSERT INTO audit_heads (business_id, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (business_id) DO NOTHING")
            .bind(business.to_string())
            .bind(ChainHead::genesis().hash)
            .execute(&mut *c)
            .await
            .map_err(db)?;
        row = sqlx::query(lock)
            .bind(business.to_string())
            .fetch_optional(&mut *c)
            .await
            .map_err(db)?;
    }
    let row = row.ok_or_else(|| Error::Storage("audit chain head missing".to_owned()))?;
    let mut head = ChainHead {
        seq: rows::int(&row, "seq")?,
        hash: rows::text(&row, "hash")?,
    };
    if let Some(to) = rows::opt_text(&row, "backfill_to")? {
        backfill(c, business, &to, &mut head).await?;
    }
    Ok(head)
}

async fn set_head(c: &mut AnyConnection, business: BusinessId, head: &ChainHead) -> Result<()> {
    sqlx::query(
        "UPDATE audit_heads SET seq = $1, hash = $2, backfill_to = NULL WHERE business_id = $3",
    )
    .bind(head.seq)
    .bind(head.hash.clone())
    .bind(business.to_string())
    .execute(c)
    .await
    .map_err(db)?;
    Ok(())
}

/// Links the business's events that predate the chain (up to `to`), in id order — the
/// order they were written in — after `head`.
async fn backfill(
    c: &mut AnyConnection,
    business: BusinessId,
    to: &str,
    head: &mut ChainHead,
) -> Result<()> {
    let sql = format!(
        "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE business_id = $1 AND chain_seq IS NULL \
         AND id <= $2 ORDER BY id LIMIT $3"
    );
    loop {
        let batch = sqlx::query(&sql)
            .bind(business.to_string())
            .bind(to)
            .bind(BACKFILL_BATCH)
            .fetch_all(&mut *c)
            .await
            .map_err(db)?;
        if batch.is_empty() {
            break;
        }
        for row in &batch {
            let mut event = audit_event(row)?;
            link(&mut event, head);
            let Some(l) = event.chain else { continue };
            sqlx::query("UPDATE audit_events SET chain_seq = $1, chain_prev = $2, chain_hash = $3 WHERE id = $4")
                .bind(l.seq)
                .bind(l.prev_hash)
                .bind(l.hash)
                .bind(event.id.to_string())
                .execute(&mut *c)
                .await
                .map_err(db)?;
        }
    }
    set_head(c, business, head).await
}

/// Links every business's pre-chain events (run after migrating; a business written to
/// first is linked by that write).
pub(crate) async fn backfill_all(store: &SqlStore) -> Result<()> {
    let pending: Vec<String> =
        sqlx::query_scalar("SELECT business_id FROM audit_heads WHERE backfill_to IS NOT NULL")
            .fetch_all(store.writer())
            .await
            .map_err(db)?;
    for business in pending {
        let business: BusinessId = business
            .parse()
            .map_err(|_| Error::Storage("stored business_id does not parse".to_owned()))?;
        let mut tx = store.begin_write().await?;
        lock_head(&mut tx, business).await?;
        tx.commit().await.map_err(db)?;
    }
    Ok(())
}

impl SqlStore {
    /// The business's chain head as recorded (genesis when it has no event yet).
    pub(crate) async fn chain_head(&self, business: BusinessId) -> Result<ChainHead> {
        let row = sqlx::query("SELECT seq, hash FROM audit_heads WHERE business_id = $1")
            .bind(business.to_string())
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(db)?;
        match row {
            Some(r) => Ok(ChainHead {
                seq: rows::int(&r, "seq")?,
                hash: rows::text(&r, "hash")?,
            }),
            None => Ok(ChainHead::genesis()),
        }
    }

    /// Linked events after position `after` (and, at the same position, after event id
    /// `after_id`), in chain order.
    pub(crate) async fn chain_events(
        &self,
        business: BusinessId,
        after: (i64, &str),
        limit: u32,
    ) -> Result<Vec<AuditEvent>> {
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE business_id = $1 AND chain_seq IS NOT NULL \
             AND chain_seq >= $2 AND (chain_seq > $2 OR id > $3) ORDER BY chain_seq, id LIMIT $4"
        );
        let rows = sqlx::query(&sql)
            .bind(business.to_string())
            .bind(after.0)
            .bind(after.1)
            .bind(i64::from(limit))
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(db)?;
        rows.iter().map(audit_event).collect()
    }

    /// The business's first event that is not linked into its chain, if any.
    pub(crate) async fn first_unchained_event(
        &self,
        business: BusinessId,
    ) -> Result<Option<AuditEvent>> {
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE business_id = $1 AND chain_seq IS NULL \
             ORDER BY id LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .bind(business.to_string())
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(db)?;
        row.as_ref().map(audit_event).transpose()
    }
}
