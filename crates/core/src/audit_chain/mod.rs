//! The tamper-evident audit trail: each business's events form a hash chain. An event's hash
//! is SHA-256 over its canonical content, which includes its position (`seq`) and the hash
//! of the event before it, so changing, removing, reordering or inserting an event breaks
//! the chain at that place. The store assigns links when it writes events (under the
//! business's chain head, one writer at a time); [`ChainVerifier`] walks a chain, from the
//! database or from an export file, and reports the first broken link.

mod canonical;
mod export;
mod line;
mod raw_json;
mod stored;
mod verify;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::{AuditEvent, ChainLink};
use crate::error::{Error, Result};

pub use canonical::{canonical_bytes, write_canonical};
pub use export::verify_export;
pub use stored::{StoredEvent, StoredScratch};
pub use verify::{ChainBreak, ChainProblem, ChainReport, ChainVerifier};

/// The `prev_hash` of a business's first event: 32 zero bytes.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The end of a business's chain: how many events it holds and the last one's hash. Published
/// (printed, sent to a webhook), it lets a later verification prove the history up to it was
/// not rewritten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChainHead {
    /// The last event's `seq` (0: no event yet).
    pub seq: i64,
    /// The last event's hash ([`GENESIS_HASH`] when there is none).
    pub hash: String,
}

impl ChainHead {
    pub fn genesis() -> Self {
        Self {
            seq: 0,
            hash: GENESIS_HASH.to_owned(),
        }
    }

    /// `SEQ:HASH`, as printed and as given back to `verify --head`.
    pub fn parse(raw: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(
                "invalid_chain_head",
                "head",
                "a chain head is SEQ:HASH, HASH 64 lowercase hex digits",
            )
        };
        let (seq, hash) = raw.trim().split_once(':').ok_or_else(bad)?;
        let seq: i64 = seq.parse().map_err(|_| bad())?;
        if seq < 0 || !is_hash(hash) {
            return Err(bad());
        }
        Ok(Self {
            seq,
            hash: hash.to_owned(),
        })
    }
}

impl std::fmt::Display for ChainHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

/// Whether `raw` is a hash as the chain writes it: 64 lowercase hex digits.
pub fn is_hash(raw: &str) -> bool {
    raw.len() == 64 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The hash of `event` at position `seq` after `prev_hash`.
pub fn event_hash(event: &AuditEvent, seq: i64, prev_hash: &str) -> String {
    let mut buf = Vec::with_capacity(640);
    hash_with(&mut buf, event, seq, prev_hash)
}

/// [`event_hash`] with a buffer the caller reuses.
pub(crate) fn hash_with(
    buf: &mut Vec<u8>,
    event: &AuditEvent,
    seq: i64,
    prev_hash: &str,
) -> String {
    buf.clear();
    write_canonical(buf, event, seq, prev_hash);
    sha256_hex(buf)
}

/// SHA-256 of `bytes` in lowercase hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Links `event` after `head` and moves `head` on to it.
pub fn link(event: &mut AuditEvent, head: &mut ChainHead) {
    let seq = head.seq + 1;
    let hash = event_hash(event, seq, &head.hash);
    event.chain = Some(ChainLink {
        seq,
        prev_hash: std::mem::replace(&mut head.hash, hash.clone()),
        hash,
    });
    head.seq = seq;
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests;
