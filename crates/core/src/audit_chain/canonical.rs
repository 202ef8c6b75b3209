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
use uuid::Uuid;

use crate::audit::AuditEvent;
use crate::clock::to_micros;

/// The version tag, the first element of the canonical array.
const VERSION: &str = "gatehouse-audit-v1";

/// The canonical bytes of `event` at position `seq` after `prev_hash`.
pub fn canonical_bytes(event: &AuditEvent, seq: i64, prev_hash: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(640);
    write_canonical(&mut out, event, seq, prev_hash);
    out
}

/// Appends the canonical bytes of `event` to `out` (verification reuses one buffer).
pub fn write_canonical(out: &mut Vec<u8>, event: &AuditEvent, seq: i64, prev_hash: &str) {
    let mut ids = Uuid::encode_buffer();
    out.push(b'[');
    string(out, VERSION);
    out.push(b',');
    match event.business_id {
        Some(b) => string(out, b.as_uuid().hyphenated().encode_lower(&mut ids)),
        None => out.extend_from_slice(b"null"),
    }
    out.push(b',');
    out.extend_from_slice(seq.to_string().as_bytes());
    out.push(b',');
    string(out, prev_hash);
    out.push(b',');
    string(out, event.id.as_uuid().hyphenated().encode_lower(&mut ids));
    out.push(b',');
    out.extend_from_slice(to_micros(event.occurred_at).to_string().as_bytes());
    let parts: [Part<'_>; 12] = [
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
        out.push(b',');
        match part {
            Part::Text(Some(s)) => string(out, s),
            Part::Json(Some(v)) => value(out, v),
            Part::Text(None) | Part::Json(None) => out.extend_from_slice(b"null"),
        }
    }
    out.push(b']');
}

enum Part<'a> {
    Text(Option<&'a str>),
    Json(Option<&'a Value>),
}

fn string(out: &mut Vec<u8>, s: &str) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                value(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(out, k);
                out.push(b':');
                value(out, item);
            }
            out.push(b'}');
        }
        // Null, booleans, numbers and strings as serde_json writes them.
        scalar => {
            let _ = serde_json::to_writer(&mut *out, scalar);
        }
    }
}
