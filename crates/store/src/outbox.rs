//! The mail outbox (`mail_outbox`): rows written inside a change's transaction, claimed by
//! senders with a lease. A claim is one statement: on PostgreSQL its candidate rows are
//! taken `FOR UPDATE SKIP LOCKED`, so concurrent senders on several nodes each get other
//! rows; SQLite has one writer at a time, so the statement alone is atomic. While a row is
//! `sending`, `next_attempt_at` holds the end of its lease: after that it is due again.

use std::sync::Arc;

use async_trait::async_trait;
use gatehouse_domain::clock::to_micros;
use gatehouse_domain::ids::{BusinessId, MailId, UserId};
use gatehouse_domain::mail::outbox::{
    ClaimedMail, DeliveryStatus, MailDelivery, MailOutbox, MailOutboxTx, MailOutcome, MailState,
    QueuedMail,
};
use gatehouse_domain::mail::{Mail, MailMessage};
use gatehouse_domain::types::Email;
use gatehouse_domain::{Error, Result};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::connect::Backend;
use crate::error::db;
use crate::queries::Sql;
use crate::rows;
use crate::store::SqlStore;
use crate::tx::SqlTx;

/// What is kept of a mail until it is delivered (the recipient has a column of its own).
#[derive(Serialize, Deserialize)]
struct Body {
    business: String,
    message: MailMessage,
}

fn corrupt(what: &str) -> Error {
    Error::Storage(format!("stored mail {what} does not parse"))
}

fn claimed(row: &AnyRow) -> Result<ClaimedMail> {
    let body: Body = rows::opt_text(row, "body")?
        .and_then(|b| serde_json::from_str(&b).ok())
        .ok_or_else(|| corrupt("body"))?;
    Ok(ClaimedMail {
        id: rows::id(row, "id")?,
        attempt: rows::int(row, "attempts")?,
        mail: Mail {
            to: Email::parse(&rows::text(row, "recipient")?).map_err(|_| corrupt("recipient"))?,
            business: body.business,
            message: body.message,
        },
    })
}

fn delivery(row: &AnyRow) -> Result<MailDelivery> {
    let state = MailState::parse(&rows::text(row, "state")?).ok_or_else(|| corrupt("state"))?;
    let attempts = rows::int(row, "attempts")?;
    Ok(MailDelivery {
        status: DeliveryStatus::of(state, attempts),
        attempts,
        last_error: rows::opt_text(row, "last_error")?,
        queued_at: rows::time(row, "created_at")?,
        next_attempt_at: match state {
            MailState::Pending => Some(rows::time(row, "next_attempt_at")?),
            _ => None,
        },
        sent_at: rows::opt_time(row, "sent_at")?,
    })
}

#[async_trait]
impl MailOutbox for SqlStore {
    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<ClaimedMail>> {
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE mail_outbox SET state = 'sending', attempts = attempts + 1, next_attempt_at = $1 \
             WHERE id IN (SELECT id FROM mail_outbox WHERE state IN ('pending', 'sending') \
             AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT $3{lock}) \
             RETURNING id, attempts, recipient, body"
        );
        let found = sqlx::query(&sql)
            .bind(to_micros(lease_until))
            .bind(to_micros(now))
            .bind(i64::from(limit))
            .fetch_all(self.writer())
            .await
            .map_err(db)?;
        let mut out = Vec::with_capacity(found.len());
        for row in &found {
            match claimed(row) {
                Ok(mail) => out.push(mail),
                Err(e) => {
                    // A row that cannot be sent must not be claimed again and again.
                    let id: MailId = rows::id(row, "id")?;
                    let attempt = rows::int(row, "attempts")?;
                    tracing::error!(mail = %id, error = %e, "unreadable mail in the outbox; marked failed");
                    let failed = MailOutcome::Failed {
                        error: e.to_string(),
                    };
                    self.finish_mail(id, attempt, failed).await?;
                }
            }
        }
        Ok(out)
    }

    async fn finish_mail(&self, id: MailId, attempt: i64, outcome: MailOutcome) -> Result<bool> {
        let fence = "WHERE id = $1 AND attempts = $2 AND state = 'sending'";
        // Once sent or failed, the content (and its single-use link) is erased.
        let (sql, time_bind, error_bind) = match outcome {
            MailOutcome::Sent { at } => (
                format!(
                    "UPDATE mail_outbox SET state = 'sent', sent_at = $3, body = NULL, last_error = NULL {fence}"
                ),
                Some(to_micros(at)),
                None,
            ),
            MailOutcome::Retry { at, error } => (
                format!(
                    "UPDATE mail_outbox SET state = 'pending', next_attempt_at = $3, last_error = $4 {fence}"
                ),
                Some(to_micros(at)),
                Some(error),
            ),
            MailOutcome::Failed { error } => (
                format!(
                    "UPDATE mail_outbox SET state = 'failed', body = NULL, last_error = $3 {fence}"
                ),
                None,
                Some(error),
            ),
        };
        let mut q = sqlx::query(&sql).bind(id.to_string()).bind(attempt);
        if let Some(t) = time_bind {
            q = q.bind(t);
        }
        if let Some(e) = error_bind {
            q = q.bind(e);
        }
        let changed = q.execute(self.writer()).await.map_err(db)?.rows_affected();
        Ok(changed > 0)
    }

    async fn latest_mail(
        &self,
        business: BusinessId,
        users: &[UserId],
        kind: &str,
    ) -> Result<Vec<(UserId, MailDelivery)>> {
        let mut latest: Vec<(UserId, MailDelivery)> = Vec::new();
        for chunk in users.chunks(500) {
            let mut sql = Sql::new(
                "SELECT user_id, state, attempts, last_error, created_at, next_attempt_at, sent_at \
                 FROM mail_outbox WHERE business_id = ",
            );
            sql.text_bind(business.to_string()).push(" AND kind = ");
            sql.text_bind(kind).push(" AND user_id IN (");
            for (i, id) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.text_bind(id.to_string());
            }
            sql.push(") ORDER BY created_at DESC, id DESC");
            let found = sql.query().fetch_all(self.reader()).await.map_err(db)?;
            for row in &found {
                let user: UserId = rows::id(row, "user_id")?;
                // Newest first: the first row of each user is theirs.
                if !latest.iter().any(|(u, _)| *u == user) {
                    latest.push((user, delivery(row)?));
                }
            }
        }
        Ok(latest)
    }

    async fn prune_mail(&self, before: OffsetDateTime) -> Result<u64> {
        Ok(sqlx::query(
            "DELETE FROM mail_outbox WHERE state IN ('sent', 'failed') AND created_at < $1",
        )
        .bind(to_micros(before))
        .execute(self.writer())
        .await
        .map_err(db)?
        .rows_affected())
    }

    fn mail_signal(&self) -> Option<Arc<Notify>> {
        Some(self.mail_signal.clone())
    }
}

#[async_trait]
impl MailOutboxTx for SqlTx {
    async fn enqueue_mails(&mut self, mails: &[QueuedMail]) -> Result<()> {
        use crate::queries::Bind;
        let mut rows = Vec::with_capacity(mails.len());
        for m in mails {
            let body = serde_json::to_string(&Body {
                business: m.mail.business.clone(),
                message: m.mail.message.clone(),
            })
            .map_err(|e| Error::Storage(e.to_string()))?;
            rows.push(vec![
                Bind::Text(m.id.to_string()),
                Bind::Text(m.business_id.to_string()),
                Bind::Text(m.user_id.to_string()),
                Bind::Text(m.mail.to.as_str().to_owned()),
                Bind::Text(m.mail.message.kind().to_owned()),
                Bind::Text(body),
                Bind::Text("pending".to_owned()),
                Bind::Int(0),
                Bind::Int(to_micros(m.created_at)),
                Bind::Int(to_micros(m.created_at)),
            ]);
        }
        crate::queries::insert_rows(
            &mut self.tx,
            "mail_outbox (id, business_id, user_id, recipient, kind, body, state, attempts, \
             next_attempt_at, created_at)",
            "",
            rows,
        )
        .await?;
        self.queued_mail |= !mails.is_empty();
        Ok(())
    }

    async fn enqueue_mail(&mut self, m: &QueuedMail) -> Result<()> {
        self.enqueue_mails(std::slice::from_ref(m)).await
    }
}
