//! Verifying events as the database rows hold them, without building an `AuditEvent`: the
//! store hands each row's text over borrowed, `before`/`after` are written canonically from
//! their JSON text, and the content hashes exactly as the event read from the same row would.

use super::canonical::{Content, Json};
use super::raw_json;
use super::verify::LinkRef;
use super::{ChainVerifier, sha256_hex};
use crate::actor::ActorKind;
use crate::clock::{from_micros, to_micros};
use crate::error::{Error, Result};
use crate::ids::{AuditEventId, BusinessId};

/// One stored event, its text borrowed from the row it was read from.
#[derive(Debug, Clone, Copy)]
pub struct StoredEvent<'a> {
    pub id: AuditEventId,
    pub business_id: Option<BusinessId>,
    /// Microseconds since the Unix epoch, as stored.
    pub occurred_at: i64,
    pub actor_kind: ActorKind,
    pub actor_id: Option<&'a str>,
    pub actor_label: &'a str,
    pub action: &'a str,
    pub target_kind: &'a str,
    pub target_id: &'a str,
    pub target_label: &'a str,
    /// `before` as stored: JSON text.
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub client_ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// `(seq, prev_hash, hash)`; none for an event outside the chain.
    pub link: Option<(i64, &'a str, &'a str)>,
}

/// The canonical `before` and `after` of the row being checked (reused row after row).
#[derive(Debug, Default)]
pub struct StoredScratch {
    before: Vec<u8>,
    after: Vec<u8>,
}

impl ChainVerifier {
    /// The next stored event in `seq` order. Fails only when its `before` or `after` is not
    /// JSON (a corrupt row, as reading the event would find).
    pub fn push_stored(&mut self, e: &StoredEvent<'_>, scratch: &mut StoredScratch) -> Result<()> {
        if self.is_broken() {
            return Ok(());
        }
        let corrupt = |col: &str| Error::Storage(format!("stored {col} does not parse"));
        scratch.before.clear();
        scratch.after.clear();
        if let Some(text) = e.before {
            raw_json::write_canonical(&mut scratch.before, text)
                .map_err(|_| corrupt("before_state"))?;
        }
        if let Some(text) = e.after {
            raw_json::write_canonical(&mut scratch.after, text)
                .map_err(|_| corrupt("after_state"))?;
        }
        let content = Content {
            business_id: e.business_id.map(|b| *b.as_uuid()),
            id: *e.id.as_uuid(),
            // As reading the event does: out-of-range times clamp.
            occurred_at: to_micros(from_micros(e.occurred_at)),
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            actor_label: e.actor_label,
            action: e.action,
            target_kind: e.target_kind,
            target_id: e.target_id,
            target_label: e.target_label,
            before: e.before.map(|_| Json::Canonical(&scratch.before)),
            after: e.after.map(|_| Json::Canonical(&scratch.after)),
            request_id: e.request_id,
            client_ip: e.client_ip,
            user_agent: e.user_agent,
        };
        let link = e.link.map(|(seq, prev_hash, hash)| LinkRef {
            seq,
            prev_hash,
            hash,
        });
        self.push_link(e.id, link, None, |buf, seq, prev| {
            buf.clear();
            content.write(buf, seq, prev);
            sha256_hex(buf)
        });
        Ok(())
    }
}
