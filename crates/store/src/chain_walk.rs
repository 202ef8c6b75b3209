//! Walking a business's audit chain for verification, fast enough for a million events, each
//! event checked from its text (`ChainVerifier::push_stored`, no `AuditEvent` built). On
//! SQLite the rows come a thousand at a time, aggregated by the database into one JSON array
//! (`json_group_array`), because sqlx hands SQLite rows over one by one at about 20 µs each,
//! more than hashing them; on PostgreSQL one query streams the rows (7 µs each; a batched
//! keyset query there sorted too much to be worth it). Either way a second thread hashes a
//! batch while the next one is read.

use std::borrow::Cow;

use futures_util::TryStreamExt;
use gatehouse_domain::audit_chain::{ChainVerifier, StoredEvent, StoredScratch};
use gatehouse_domain::ids::BusinessId;
use gatehouse_domain::principal::ActorKind;
use gatehouse_domain::{Error, Result};
use serde::Deserialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use tokio::sync::mpsc::{Receiver, Sender};

use crate::Backend;
use crate::error::db;
use crate::rows;
use crate::store::SqlStore;

/// Events per batch (one row of JSON, about 1 MB).
const BATCH: i64 = 1_000;

/// The columns, in the order of [`Wire`]'s fields (and of [`stored_event`]'s positions).
const COLUMNS: &str = "id, business_id, occurred_at, actor_kind, actor_id, actor_label, action, \
     target_kind, target_id, target_label, before_state, after_state, request_id, client_ip, \
     user_agent, chain_seq, chain_prev, chain_hash";

/// One event as its batch's JSON array carries it (an array of the columns).
#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    business_id: Option<Cow<'a, str>>,
    occurred_at: i64,
    #[serde(borrow)]
    actor_kind: Cow<'a, str>,
    #[serde(borrow)]
    actor_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    actor_label: Cow<'a, str>,
    #[serde(borrow)]
    action: Cow<'a, str>,
    #[serde(borrow)]
    target_kind: Cow<'a, str>,
    #[serde(borrow)]
    target_id: Cow<'a, str>,
    #[serde(borrow)]
    target_label: Cow<'a, str>,
    #[serde(borrow)]
    before: Option<Cow<'a, str>>,
    #[serde(borrow)]
    after: Option<Cow<'a, str>>,
    #[serde(borrow)]
    request_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    client_ip: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user_agent: Option<Cow<'a, str>>,
    chain_seq: i64,
    #[serde(borrow)]
    chain_prev: Option<Cow<'a, str>>,
    #[serde(borrow)]
    chain_hash: Option<Cow<'a, str>>,
}

fn corrupt(col: &str) -> Error {
    Error::Storage(format!("stored {col} does not parse"))
}

impl<'a> Wire<'a> {
    fn event(&'a self) -> Result<StoredEvent<'a>> {
        let opt = |v: &'a Option<Cow<'a, str>>| v.as_deref();
        Ok(StoredEvent {
            id: self.id.parse().map_err(|_| corrupt("id"))?,
            business_id: opt(&self.business_id)
                .map(|b| b.parse().map_err(|_| corrupt("business_id")))
                .transpose()?,
            occurred_at: self.occurred_at,
            actor_kind: ActorKind::parse(&self.actor_kind).ok_or_else(|| corrupt("actor_kind"))?,
            actor_id: opt(&self.actor_id),
            actor_label: &self.actor_label,
            action: &self.action,
            target_kind: &self.target_kind,
            target_id: &self.target_id,
            target_label: &self.target_label,
            before: opt(&self.before),
            after: opt(&self.after),
            request_id: opt(&self.request_id),
            client_ip: opt(&self.client_ip),
            user_agent: opt(&self.user_agent),
            // As reading the event does: a position without hashes has empty ones (a break).
            link: Some((
                self.chain_seq,
                opt(&self.chain_prev).unwrap_or_default(),
                opt(&self.chain_hash).unwrap_or_default(),
            )),
        })
    }
}

/// Batches read ahead of the hashing, at most.
const IN_FLIGHT: usize = 4;

/// A batch of events on its way from the reading task to the hashing thread.
enum Batch {
    /// SQLite: one JSON array of [`Wire`] events.
    Json(String),
    /// PostgreSQL: rows of [`COLUMNS`].
    Rows(Vec<AnyRow>),
}

impl SqlStore {
    /// Feeds the business's linked events, in chain order, to `verifier` until a broken
    /// link, in constant memory. The rows are read on this task while a blocking thread
    /// hashes the batches read before them (reading and hashing each take about as long).
    pub(crate) async fn walk_chain(
        &self,
        business: BusinessId,
        verifier: &mut ChainVerifier,
    ) -> Result<()> {
        let owned = std::mem::replace(verifier, ChainVerifier::new(None));
        let (batches, rx) = tokio::sync::mpsc::channel(IN_FLIGHT);
        let hasher = tokio::task::spawn_blocking(move || hash(owned, rx));
        let read = match self.backend {
            Backend::Sqlite => self.read_batches(business, &batches).await,
            Backend::Postgres => self.read_rows(business, &batches).await,
        };
        drop(batches);
        let (owned, hashed) = hasher
            .await
            .map_err(|e| Error::Storage(format!("audit chain hashing stopped: {e}")))?;
        *verifier = owned;
        // A row that does not parse stops the hashing and, with it, the reading.
        hashed.and(read)
    }

    /// SQLite: a thousand events a query, aggregated into one JSON array in the order the
    /// ordered subquery yields them (the unique `(business_id, chain_seq)` index's), with
    /// the last one's position for the next query (the bare columns of the row holding
    /// `max(n)`, as SQLite defines them: one row, since `n` numbers the rows).
    async fn read_batches(&self, business: BusinessId, out: &Sender<Batch>) -> Result<()> {
        let sql = format!(
            "SELECT json_group_array(json_array({COLUMNS})) AS batch, max(n) AS n, \
             chain_seq AS last_seq, id AS last_id FROM (SELECT {COLUMNS}, \
             row_number() OVER (ORDER BY chain_seq, id) AS n FROM audit_events \
             WHERE business_id = $1 AND chain_seq IS NOT NULL AND chain_seq >= $2 \
             AND (chain_seq > $2 OR id > $3) ORDER BY chain_seq, id LIMIT $4) e"
        );
        let mut after: (i64, String) = (0, String::new());
        loop {
            let row = sqlx::query(&sql)
                .bind(business.to_string())
                .bind(after.0)
                .bind(after.1.as_str())
                .bind(BATCH)
                .fetch_one(&mut *self.conn().await?)
                .await
                .map_err(db)?;
            let n: Option<i64> = row.try_get("n").map_err(db)?;
            let Some(n) = n else {
                return Ok(());
            };
            let text =
                rows::opt_text(&row, "batch")?.ok_or_else(|| corrupt("audit chain batch"))?;
            let last = (
                row.try_get::<i64, _>("last_seq").map_err(db)?,
                row.try_get::<String, _>("last_id").map_err(db)?,
            );
            if out.send(Batch::Json(text)).await.is_err() || n < BATCH {
                // The hashing stopped (a broken link), or that was the end.
                return Ok(());
            }
            after = last;
        }
    }

    /// PostgreSQL: one query whose rows stream in chain order (its driver hands rows over
    /// cheaply), sent on a thousand at a time.
    async fn read_rows(&self, business: BusinessId, out: &Sender<Batch>) -> Result<()> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_events WHERE business_id = $1 AND chain_seq IS NOT NULL \
             ORDER BY chain_seq, id"
        );
        let mut conn = self.conn().await?;
        let mut rows = sqlx::query(&sql)
            .bind(business.to_string())
            .fetch(&mut *conn);
        let mut batch = Vec::with_capacity(BATCH as usize);
        while let Some(row) = rows.try_next().await.map_err(db)? {
            batch.push(row);
            if batch.len() == BATCH as usize {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH as usize));
                if out.send(Batch::Rows(full)).await.is_err() {
                    return Ok(());
                }
            }
        }
        if !batch.is_empty() {
            // Sent or not (the hashing may have stopped): nothing is left to read.
            let _ = out.send(Batch::Rows(batch)).await;
        }
        Ok(())
    }
}

/// The hashing thread: checks each batch's events in order until the channel closes or a
/// link breaks (dropping the receiver tells the reader to stop); hands the verifier back.
fn hash(mut verifier: ChainVerifier, mut batches: Receiver<Batch>) -> (ChainVerifier, Result<()>) {
    let mut scratch = StoredScratch::default();
    let mut check = |verifier: &mut ChainVerifier, batch: Batch| -> Result<()> {
        match batch {
            Batch::Json(text) => {
                let events: Vec<Wire<'_>> =
                    serde_json::from_str(&text).map_err(|_| corrupt("audit chain batch"))?;
                for w in &events {
                    verifier.push_stored(&w.event()?, &mut scratch)?;
                    if verifier.is_broken() {
                        break;
                    }
                }
            }
            Batch::Rows(rows) => {
                for row in &rows {
                    verifier.push_stored(&stored_event(row)?, &mut scratch)?;
                    if verifier.is_broken() {
                        break;
                    }
                }
            }
        }
        Ok(())
    };
    while let Some(batch) = batches.blocking_recv() {
        if let Err(e) = check(&mut verifier, batch) {
            return (verifier, Err(e));
        }
        if verifier.is_broken() {
            break;
        }
    }
    (verifier, Ok(()))
}

/// A row of [`COLUMNS`] as [`StoredEvent`], its text borrowed from the row. Columns are read
/// by position (a name is looked up per column and row otherwise).
fn stored_event(row: &AnyRow) -> Result<StoredEvent<'_>> {
    let text = |i: usize| row.try_get::<&str, _>(i).map_err(db);
    let opt = |i: usize| row.try_get::<Option<&str>, _>(i).map_err(db);
    // As reading the event does: a position without hashes is empty hashes (a break).
    let link = match row.try_get::<Option<i64>, _>(15).map_err(db)? {
        Some(seq) => Some((
            seq,
            opt(16)?.unwrap_or_default(),
            opt(17)?.unwrap_or_default(),
        )),
        None => None,
    };
    Ok(StoredEvent {
        id: text(0)?.parse().map_err(|_| corrupt("id"))?,
        business_id: opt(1)?
            .map(|b| b.parse().map_err(|_| corrupt("business_id")))
            .transpose()?,
        occurred_at: row.try_get::<i64, _>(2).map_err(db)?,
        actor_kind: ActorKind::parse(text(3)?).ok_or_else(|| corrupt("actor_kind"))?,
        actor_id: opt(4)?,
        actor_label: text(5)?,
        action: text(6)?,
        target_kind: text(7)?,
        target_id: text(8)?,
        target_label: text(9)?,
        before: opt(10)?,
        after: opt(11)?,
        request_id: opt(12)?,
        client_ip: opt(13)?,
        user_agent: opt(14)?,
        link,
    })
}
