//! Writing and reading audit events.

use gatehouse_domain::audit::{AuditEvent, AuditFilter, AuditTarget, ChainLink};
use gatehouse_domain::clock::to_micros;
use gatehouse_domain::ids::BusinessId;
use gatehouse_domain::principal::{Actor, ActorKind};
use gatehouse_domain::{Error, Result};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Bind, Sql, prefix_end};
use crate::error::db;
use crate::rows;

/// The columns [`audit_event`] reads.
pub(crate) const AUDIT_COLUMNS: &str = "id, business_id, occurred_at, actor_kind, actor_id, actor_label, action, \
     target_kind, target_id, target_label, before_state, after_state, request_id, client_ip, user_agent, \
     chain_seq, chain_prev, chain_hash";

/// Writes `events`, with their chain links (as few statements as the bind limit allows).
pub(crate) async fn insert_audit_events(
    c: &mut AnyConnection,
    events: &[AuditEvent],
) -> Result<()> {
    let json =
        |v: &Option<serde_json::Value>| Bind::OptText(v.as_ref().map(serde_json::Value::to_string));
    let rows = events
        .iter()
        .map(|e| {
            let link = e.chain.as_ref();
            vec![
                Bind::Text(e.id.to_string()),
                Bind::OptText(e.business_id.map(|b| b.to_string())),
                Bind::Int(to_micros(e.occurred_at)),
                Bind::Text(e.actor.kind.as_str().to_owned()),
                Bind::OptText(e.actor.id.clone()),
                Bind::Text(e.actor.label.clone()),
                Bind::Text(e.action.clone()),
                Bind::Text(e.target.kind.clone()),
                Bind::Text(e.target.id.clone()),
                Bind::Text(e.target.label.clone()),
                json(&e.before),
                json(&e.after),
                Bind::OptText(e.request_id.clone()),
                Bind::OptText(e.client_ip.clone()),
                Bind::OptText(e.user_agent.clone()),
                Bind::OptInt(link.map(|l| l.seq)),
                Bind::OptText(link.map(|l| l.prev_hash.clone())),
                Bind::OptText(link.map(|l| l.hash.clone())),
            ]
        })
        .collect();
    super::insert_rows(c, &format!("audit_events ({AUDIT_COLUMNS})"), "", rows)
        .await
        .map(drop)
}

pub(crate) fn audit_event(row: &AnyRow) -> Result<AuditEvent> {
    let json = |col: &str| -> Result<Option<serde_json::Value>> {
        rows::opt_text(row, col)?
            .map(|s| {
                serde_json::from_str(&s)
                    .map_err(|_| Error::Storage(format!("stored {col} does not parse")))
            })
            .transpose()
    };
    let business_id = rows::opt_text(row, "business_id")?
        .map(|s| {
            s.parse()
                .map_err(|_| Error::Storage("stored business_id does not parse".to_owned()))
        })
        .transpose()?;
    Ok(AuditEvent {
        id: rows::id(row, "id")?,
        occurred_at: rows::time(row, "occurred_at")?,
        business_id,
        actor: Actor {
            kind: rows::parsed(row, "actor_kind", |s| {
                ActorKind::parse(s).ok_or(Error::Storage(String::new()))
            })?,
            id: rows::opt_text(row, "actor_id")?,
            label: rows::text(row, "actor_label")?,
        },
        action: rows::text(row, "action")?,
        target: AuditTarget {
            kind: rows::text(row, "target_kind")?,
            id: rows::text(row, "target_id")?,
            label: rows::text(row, "target_label")?,
        },
        before: json("before_state")?,
        after: json("after_state")?,
        request_id: rows::opt_text(row, "request_id")?,
        client_ip: rows::opt_text(row, "client_ip")?,
        user_agent: rows::opt_text(row, "user_agent")?,
        chain: chain_link(row)?,
    })
}

fn chain_link(row: &AnyRow) -> Result<Option<ChainLink>> {
    let seq = row.try_get::<Option<i64>, _>("chain_seq").map_err(db)?;
    let Some(seq) = seq else { return Ok(None) };
    Ok(Some(ChainLink {
        seq,
        prev_hash: rows::opt_text(row, "chain_prev")?.unwrap_or_default(),
        hash: rows::opt_text(row, "chain_hash")?.unwrap_or_default(),
    }))
}

pub(crate) async fn list_audit_events(
    c: &mut AnyConnection,
    business: BusinessId,
    f: &AuditFilter,
    limit: u32,
) -> Result<Vec<AuditEvent>> {
    let mut sql = Sql::new(&format!(
        "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE business_id = "
    ));
    sql.text_bind(business.to_string());
    if let Some(actor) = &f.actor_id {
        sql.push(" AND actor_id = ").text_bind(actor.clone());
    }
    if let Some(target) = &f.target_id {
        sql.push(" AND target_id = ").text_bind(target.clone());
    }
    if let Some(prefix) = &f.action_prefix {
        // `group` matches `group` and `group.*`, never `groupie.*`.
        sql.push(" AND (action = ").text_bind(prefix.clone());
        sql.push(" OR (action >= ").text_bind(format!("{prefix}."));
        sql.push(" AND action < ")
            .text_bind(prefix_end(&format!("{prefix}.")))
            .push("))");
    }
    if let Some(from) = f.from {
        sql.push(" AND occurred_at >= ")
            .bind(Bind::Int(to_micros(from)));
    }
    if let Some(to) = f.to {
        sql.push(" AND occurred_at < ")
            .bind(Bind::Int(to_micros(to)));
    }
    if let Some(before) = f.before_id {
        sql.push(" AND id < ").text_bind(before.to_string());
    }
    sql.push(" ORDER BY id DESC LIMIT ")
        .bind(Bind::Int(i64::from(limit)));
    let rows = sql.query().fetch_all(c).await.map_err(db)?;
    rows.iter().map(audit_event).collect()
}
