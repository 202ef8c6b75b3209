//! Walking a business's audit chain for verification, fast enough for a million events, each
//! event checked from its text (`ChainVerifier::push_stored`, no `AuditEvent` built). On
//! SQLite the rows come a thousand at a time, aggregated by the database into one JSON array
//! (`json_group_array`), because sqlx hands SQLite rows over one by one at about 20 µs each,
//! more than hashing them; on PostgreSQL one query streams the rows (7 µs each; a batched
//! keyset query there sorted too much to be worth it).

use std::borrow::Cow;

use futures_util::TryStreamExt;
use gatehouse_domain::audit_chain::{ChainVerifier, StoredEvent, StoredScratch};
use gatehouse_domain::ids::BusinessId;
use gatehouse_domain::principal::ActorKind;
use gatehouse_domain::{Error, Result};
use serde::Deserialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::Backend;
use crate::error::db;
use crate::queries::AUDIT_COLUMNS;
use crate::rows;
use crate::store::SqlStore;

/// Events per batch (one row of JSON, about 1 MB).
const BATCH: i64 = 1_000;

/// The columns, in the order of [`Wire`]'s fields.
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

impl SqlStore {
    /// Feeds the business's linked events, in chain order, to `verifier` until a broken
    /// link, in constant memory.
    pub(crate) async fn walk_chain(
        &self,
        business: BusinessId,
        verifier: &mut ChainVerifier,
    ) -> Result<()> {
        match self.backend {
            Backend::Sqlite => self.walk_batches(business, verifier).await,
            Backend::Postgres => self.walk_rows(business, verifier).await,
        }
    }

    /// SQLite: a thousand events a query, aggregated into one JSON array in the order the
    /// ordered subquery yields them (the unique `(business_id, chain_seq)` index's).
    async fn walk_batches(&self, business: BusinessId, verifier: &mut ChainVerifier) -> Result<()> {
        let sql = format!(
            "SELECT json_group_array(json_array({COLUMNS})) AS batch FROM (SELECT {COLUMNS} \
             FROM audit_events WHERE business_id = $1 AND chain_seq IS NOT NULL AND chain_seq >= $2 \
             AND (chain_seq > $2 OR id > $3) ORDER BY chain_seq, id LIMIT $4) e"
        );
        let mut after: (i64, String) = (0, String::new());
        let mut scratch = StoredScratch::default();
        loop {
            let row = sqlx::query(&sql)
                .bind(business.to_string())
                .bind(after.0)
                .bind(after.1.as_str())
                .bind(BATCH)
                .fetch_one(&mut *self.conn().await?)
                .await
                .map_err(db)?;
            let Some(text) = rows::opt_text(&row, "batch")? else {
                return Ok(());
            };
            let events: Vec<Wire<'_>> =
                serde_json::from_str(&text).map_err(|_| corrupt("audit chain batch"))?;
            for w in &events {
                verifier.push_stored(&w.event()?, &mut scratch)?;
                if verifier.is_broken() {
                    return Ok(());
                }
            }
            match events.last() {
                Some(last) if events.len() as i64 == BATCH => {
                    after = (last.chain_seq, last.id.to_string());
                }
                _ => return Ok(()),
            }
        }
    }

    /// PostgreSQL: one query whose rows stream in chain order (its driver hands rows over
    /// cheaply), each checked from its text.
    async fn walk_rows(&self, business: BusinessId, verifier: &mut ChainVerifier) -> Result<()> {
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE business_id = $1 AND chain_seq IS NOT NULL \
             ORDER BY chain_seq, id"
        );
        let mut conn = self.conn().await?;
        let mut rows = sqlx::query(&sql)
            .bind(business.to_string())
            .fetch(&mut *conn);
        let mut scratch = StoredScratch::default();
        while let Some(row) = rows.try_next().await.map_err(db)? {
            verifier.push_stored(&stored_event(&row)?, &mut scratch)?;
            if verifier.is_broken() {
                break;
            }
        }
        Ok(())
    }
}

/// A row of `AUDIT_COLUMNS` as [`StoredEvent`], its text borrowed from the row.
fn stored_event(row: &AnyRow) -> Result<StoredEvent<'_>> {
    let text = |col: &str| row.try_get::<&str, _>(col).map_err(db);
    let opt = |col: &str| row.try_get::<Option<&str>, _>(col).map_err(db);
    let corrupt = |col: &str| Error::Storage(format!("stored {col} does not parse"));
    // As reading the event does: a position without hashes is empty hashes (a break).
    let link = match row.try_get::<Option<i64>, _>("chain_seq").map_err(db)? {
        Some(seq) => Some((
            seq,
            opt("chain_prev")?.unwrap_or_default(),
            opt("chain_hash")?.unwrap_or_default(),
        )),
        None => None,
    };
    Ok(StoredEvent {
        id: text("id")?.parse().map_err(|_| corrupt("id"))?,
        business_id: opt("business_id")?
            .map(|b| b.parse().map_err(|_| corrupt("business_id")))
            .transpose()?,
        occurred_at: row.try_get::<i64, _>("occurred_at").map_err(db)?,
        actor_kind: ActorKind::parse(text("actor_kind")?).ok_or_else(|| corrupt("actor_kind"))?,
        actor_id: opt("actor_id")?,
        actor_label: text("actor_label")?,
        action: text("action")?,
        target_kind: text("target_kind")?,
        target_id: text("target_id")?,
        target_label: text("target_label")?,
        before: opt("before_state")?,
        after: opt("after_state")?,
        request_id: opt("request_id")?,
        client_ip: opt("client_ip")?,
        user_agent: opt("user_agent")?,
        link,
    })
}
