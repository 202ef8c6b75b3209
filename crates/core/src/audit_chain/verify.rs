//! Walking a chain and finding its first broken link.

use serde::Serialize;

use super::{ChainHead, GENESIS_HASH, hash_with};
use crate::audit::AuditEvent;
use crate::ids::AuditEventId;

/// What is wrong at a broken link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChainProblem {
    /// No event holds this position: one was removed (or the chain reordered around it).
    Missing,
    /// A second event claims a position already taken: one was inserted or moved.
    Duplicate,
    /// The event's `prev_hash` is not the hash of the event before it: an event was removed,
    /// inserted or moved here.
    PrevHashMismatch,
    /// The event's content does not hash to its `hash`: it was changed.
    HashMismatch,
    /// An event of the business that is not in the chain at all: it was inserted past the
    /// chain's writer.
    Unchained,
    /// The chain ends before or after the recorded head: events were removed from, or
    /// appended to, its end past the chain's writer.
    HeadMismatch,
    /// A head published earlier is not on the chain: history up to it was rewritten.
    PublishedHeadMismatch,
}

/// The first broken link of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChainBreak {
    /// The position where the chain breaks.
    pub seq: i64,
    /// The event found there, when there is one.
    #[schema(value_type = Option<String>)]
    pub event_id: Option<AuditEventId>,
    /// The export file's line where the break was found (verifying a file only; from 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub problem: ChainProblem,
    /// What was expected and what was found, for people.
    pub detail: String,
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChainReport {
    /// Whether every link held (and the heads matched).
    pub intact: bool,
    /// How many events were checked.
    pub events: u64,
    /// The first position checked (1 for a whole chain; an export may start later).
    pub first_seq: Option<i64>,
    /// The end of the verified chain: publish it to detect a later rewrite.
    pub head: ChainHead,
    pub first_break: Option<ChainBreak>,
}

/// Checks a chain event by event, in `seq` order, remembering the first broken link.
#[derive(Debug)]
pub struct ChainVerifier {
    head: ChainHead,
    first_seq: Option<i64>,
    events: u64,
    /// An export may start in the middle of a chain: its first `prev_hash` is then taken as
    /// given.
    trust_first_prev: bool,
    published: Option<ChainHead>,
    published_seen: bool,
    broken: Option<ChainBreak>,
    /// The canonical bytes of the event being checked (one buffer for the whole walk).
    buf: Vec<u8>,
    /// The export file's line of the event being checked.
    line: Option<u64>,
}

/// An event's link as the walk reads it, borrowed from wherever the event is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinkRef<'a> {
    pub seq: i64,
    pub prev_hash: &'a str,
    pub hash: &'a str,
}

impl ChainVerifier {
    /// A verifier for a whole chain from position 1.
    pub fn new(published: Option<ChainHead>) -> Self {
        Self {
            head: ChainHead::genesis(),
            first_seq: None,
            events: 0,
            trust_first_prev: false,
            published,
            published_seen: false,
            broken: None,
            buf: Vec::with_capacity(1024),
            line: None,
        }
    }

    /// A verifier for a run of a chain that may start anywhere (an export).
    pub fn from_anywhere(published: Option<ChainHead>) -> Self {
        Self {
            trust_first_prev: true,
            ..Self::new(published)
        }
    }

    /// Whether a link has broken already (the rest need not be read).
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    fn break_at(
        &mut self,
        seq: i64,
        event_id: Option<AuditEventId>,
        problem: ChainProblem,
        detail: String,
    ) {
        if self.broken.is_none() {
            self.broken = Some(ChainBreak {
                seq,
                event_id,
                line: self.line,
                problem,
                detail,
            });
        }
    }

    /// The next event in `seq` order.
    pub fn push(&mut self, event: &AuditEvent) {
        let link = event.chain.as_ref().map(|l| LinkRef {
            seq: l.seq,
            prev_hash: &l.prev_hash,
            hash: &l.hash,
        });
        self.push_link(event.id, link, None, |buf, seq, prev| {
            hash_with(buf, event, seq, prev)
        });
    }

    /// The next event in `seq` order, as its id, its link and a way to hash its content
    /// (called only once the link's place and `prev_hash` hold). `line` is where an export
    /// file holds it, reported with a break.
    pub(crate) fn push_link(
        &mut self,
        id: AuditEventId,
        link: Option<LinkRef<'_>>,
        line: Option<u64>,
        content_hash: impl FnOnce(&mut Vec<u8>, i64, &str) -> String,
    ) {
        if self.broken.is_some() {
            return;
        }
        self.line = line;
        let expected = self.head.seq + 1;
        let Some(link) = link else {
            return self.break_at(
                expected,
                Some(id),
                ChainProblem::Unchained,
                format!("event {id} has no place in the chain"),
            );
        };
        let first = self.first_seq.is_none();
        if first && self.trust_first_prev && link.seq > 0 {
            self.head = ChainHead {
                seq: link.seq - 1,
                hash: link.prev_hash.to_owned(),
            };
        }
        let expected = self.head.seq + 1;
        if link.seq > expected {
            return self.break_at(
                expected,
                None,
                ChainProblem::Missing,
                format!(
                    "no event at position {expected}; the next is at {}",
                    link.seq
                ),
            );
        }
        if link.seq < expected {
            return self.break_at(
                link.seq,
                Some(id),
                ChainProblem::Duplicate,
                format!("event {id} claims position {}, already taken", link.seq),
            );
        }
        if link.prev_hash != self.head.hash {
            return self.break_at(
                link.seq,
                Some(id),
                ChainProblem::PrevHashMismatch,
                format!(
                    "prev_hash {} is not the hash of the event before, {}",
                    link.prev_hash, self.head.hash
                ),
            );
        }
        let actual = content_hash(&mut self.buf, link.seq, link.prev_hash);
        if actual != link.hash {
            return self.break_at(
                link.seq,
                Some(id),
                ChainProblem::HashMismatch,
                format!(
                    "the content hashes to {actual}, the event says {}",
                    link.hash
                ),
            );
        }
        if let Some(p) = &self.published
            && p.seq == link.seq
        {
            self.published_seen = true;
            if p.hash != link.hash {
                let detail = format!(
                    "published head {p} does not match this event's hash {}",
                    link.hash
                );
                return self.break_at(
                    link.seq,
                    Some(id),
                    ChainProblem::PublishedHeadMismatch,
                    detail,
                );
            }
        }
        self.first_seq.get_or_insert(link.seq);
        self.events += 1;
        self.head.seq = link.seq;
        self.head.hash.clear();
        self.head.hash.push_str(link.hash);
    }

    /// Ends the walk. `recorded` is the head the database keeps (none for a file).
    pub fn finish(mut self, recorded: Option<&ChainHead>) -> ChainReport {
        if let Some(r) = recorded
            && self.broken.is_none()
            && *r != self.head
        {
            let seq = r.seq.min(self.head.seq) + 1;
            let detail = format!("the chain ends at {}, the recorded head is {r}", self.head);
            self.line = None;
            self.break_at(seq, None, ChainProblem::HeadMismatch, detail);
        }
        if let Some(p) = self.published.clone()
            && self.broken.is_none()
            && !self.published_seen
            && !(p.seq == 0 && p.hash == GENESIS_HASH)
        {
            let detail = format!(
                "published head {p} is not on the chain, which ends at {}",
                self.head
            );
            self.line = None;
            self.break_at(p.seq, None, ChainProblem::PublishedHeadMismatch, detail);
        }
        ChainReport {
            intact: self.broken.is_none(),
            events: self.events,
            first_seq: self.first_seq,
            head: self.head,
            first_break: self.broken,
        }
    }
}
