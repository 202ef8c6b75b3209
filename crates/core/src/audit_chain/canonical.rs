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

use crate::actor::ActorKind;
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
    Content {
        business_id: event.business_id.map(|b| *b.as_uuid()),
        id: *event.id.as_uuid(),
        occurred_at: to_micros(event.occurred_at),
        actor_kind: event.actor.kind,
        actor_id: event.actor.id.as_deref(),
        actor_label: &event.actor.label,
        action: &event.action,
        target_kind: &event.target.kind,
        target_id: &event.target.id,
        target_label: &event.target.label,
        before: event.before.as_ref().map(Json::Value),
        after: event.after.as_ref().map(Json::Value),
        request_id: event.request_id.as_deref(),
        client_ip: event.client_ip.as_deref(),
        user_agent: event.user_agent.as_deref(),
    }
    .write(out, seq, prev_hash);
}

/// JSON as an event holds it (parsed), or already in canonical form (an export line's,
/// canonicalised from its text).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Json<'a> {
    Value(&'a Value),
    Canonical(&'a [u8]),
}

/// What the canonical array is made of, borrowed from an event or from an export line, so
/// both hash alike without building the other.
#[derive(Debug)]
pub(crate) struct Content<'a> {
    pub business_id: Option<Uuid>,
    pub id: Uuid,
    pub occurred_at: i64,
    pub actor_kind: ActorKind,
    pub actor_id: Option<&'a str>,
    pub actor_label: &'a str,
    pub action: &'a str,
    pub target_kind: &'a str,
    pub target_id: &'a str,
    pub target_label: &'a str,
    pub before: Option<Json<'a>>,
    pub after: Option<Json<'a>>,
    pub request_id: Option<&'a str>,
    pub client_ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

impl Content<'_> {
    /// Appends the canonical bytes at position `seq` after `prev_hash` to `out`.
    pub(crate) fn write(&self, out: &mut Vec<u8>, seq: i64, prev_hash: &str) {
        let mut ids = Uuid::encode_buffer();
        let mut num = itoa_buf();
        out.push(b'[');
        string(out, VERSION);
        out.push(b',');
        match self.business_id {
            Some(b) => string(out, b.hyphenated().encode_lower(&mut ids)),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b',');
        out.extend_from_slice(int(&mut num, seq));
        out.push(b',');
        string(out, prev_hash);
        out.push(b',');
        string(out, self.id.hyphenated().encode_lower(&mut ids));
        out.push(b',');
        out.extend_from_slice(int(&mut num, self.occurred_at));
        let parts: [Part<'_>; 12] = [
            Part::Text(Some(self.actor_kind.as_str())),
            Part::Text(self.actor_id),
            Part::Text(Some(self.actor_label)),
            Part::Text(Some(self.action)),
            Part::Text(Some(self.target_kind)),
            Part::Text(Some(self.target_id)),
            Part::Text(Some(self.target_label)),
            Part::Json(self.before),
            Part::Json(self.after),
            Part::Text(self.request_id),
            Part::Text(self.client_ip),
            Part::Text(self.user_agent),
        ];
        for part in parts {
            out.push(b',');
            match part {
                Part::Text(Some(s)) => string(out, s),
                Part::Json(Some(Json::Value(v))) => value(out, v),
                Part::Json(Some(Json::Canonical(bytes))) => out.extend_from_slice(bytes),
                Part::Text(None) | Part::Json(None) => out.extend_from_slice(b"null"),
            }
        }
        out.push(b']');
    }
}

enum Part<'a> {
    Text(Option<&'a str>),
    Json(Option<Json<'a>>),
}

/// Room for any `i64` in decimal.
fn itoa_buf() -> [u8; 20] {
    [0; 20]
}

/// `n` in decimal, written into `buf` without allocating.
fn int(buf: &mut [u8; 20], n: i64) -> &[u8] {
    let mut i = buf.len();
    let mut m = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    if n < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

pub(crate) fn value(out: &mut Vec<u8>, v: &Value) {
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
