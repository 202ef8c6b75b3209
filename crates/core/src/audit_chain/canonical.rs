//! The canonical content of an audit event, the bytes its chain hash is taken over.
//!
//! Version 1 is one compact JSON array, UTF-8, in this fixed order:
//!
//! ```text
//! ["gatehouse-audit-v1", business_id, seq, prev_hash, id, occurred_at, actor_kind, actor_id,
//!  actor_label, action, target_kind, target_id, target_label, before, after, request_id,
//!  client_ip, user_agent]
//! ```
//!
//! `occurred_at` is an integer of microseconds since the Unix epoch (what the database keeps);
//! ids are their hyphenated lowercase UUID text; absent values are `null`; strings are JSON
//! strings escaped as `serde_json` writes them (only `"`, `\` and control characters escaped);
//! `before` and `after` are JSON with no whitespace and object keys sorted by their UTF-8
//! bytes, at every depth. An auditor can rebuild these bytes from an export line.

use serde_json::Value;

use crate::audit::AuditEvent;
use crate::clock::to_micros;

/// The version tag, the first element of the canonical array.
const VERSION: &str = "gatehouse-audit-v1";

/// The canonical bytes of `event` at position `seq` after `prev_hash`.
pub fn canonical_bytes(event: &AuditEvent, seq: i64, prev_hash: &str) -> Vec<u8> {
    let mut out = String::with_capacity(512);
    out.push('[');
    string(&mut out, VERSION);
    let business = event.business_id.map(|b| b.to_string());
    let id = event.id.to_string();
    let parts: [Part<'_>; 17] = [
        Part::Text(business.as_deref()),
        Part::Int(seq),
        Part::Text(Some(prev_hash)),
        Part::Text(Some(&id)),
        Part::Int(to_micros(event.occurred_at)),
        Part::Text(Some(event.actor.kind.as_str())),
        Part::Text(event.actor.id.as_deref()),
        Part::Text(Some(&event.actor.label)),
        Part::Text(Some(&event.action)),
        Part::Text(Some(&event.target.kind)),
        Part::Text(Some(&event.target.id)),
        Part::Text(Some(&event.target.label)),
        Part::Json(event.before.as_ref()),
        Part::Json(event.after.as_ref()),
        Part::Text(event.request_id.as_deref()),
        Part::Text(event.client_ip.as_deref()),
        Part::Text(event.user_agent.as_deref()),
    ];
    for part in parts {
        out.push(',');
        match part {
            Part::Text(Some(s)) => string(&mut out, s),
            Part::Int(n) => out.push_str(&n.to_string()),
            Part::Json(Some(v)) => value(&mut out, v),
            Part::Text(None) | Part::Json(None) => out.push_str("null"),
        }
    }
    out.push(']');
    out.into_bytes()
}

enum Part<'a> {
    Text(Option<&'a str>),
    Int(i64),
    Json(Option<&'a Value>),
}

fn string(out: &mut String, s: &str) {
    // Serialising a string cannot fail; the fallback is never taken.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

fn value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(out, k);
                out.push(':');
                value(out, item);
            }
            out.push('}');
        }
    }
}
