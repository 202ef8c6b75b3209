//! Verifying an export file offline: JSON Lines, one event (as the API answers it, with its
//! `chain`) a line, oldest or newest first.
//!
//! Oldest first (what `gatehouse audit export` writes) streams: one line at a time through one
//! reused buffer, each parsed in place and hashed from its borrowed fields, so memory stays
//! flat and reading stops at the first broken link. Newest first (the dashboard's export,
//! at most 100,000 events) is told from its first two events; each line's link and content
//! hash are then kept (a few hundred bytes an event) and walked oldest first at the end.

use std::io::BufRead;

use super::line::Line;
use super::verify::LinkRef;
use super::{ChainHead, ChainReport, ChainVerifier, sha256_hex};
use crate::error::{Error, Result};
use crate::ids::AuditEventId;

/// Reads every event of `input` and verifies their chain. An export may cover only part of
/// the chain (from a position on): its first event's `prev_hash` is then taken as given, and
/// only `published` (a head published earlier) ties it to the whole. A break names the line
/// it was found on.
pub fn verify_export(mut input: impl BufRead, published: Option<ChainHead>) -> Result<ChainReport> {
    let mut verifier = ChainVerifier::from_anywhere(published);
    let mut text = String::with_capacity(2048);
    let mut order = Order::Unknown;
    let mut n: u64 = 0;
    loop {
        text.clear();
        let read = input
            .read_line(&mut text)
            .map_err(|e| bad_line(n + 1, &e.to_string()))?;
        if read == 0 {
            break;
        }
        n += 1;
        if text.trim().is_empty() {
            continue;
        }
        let line = Line::parse(&text).map_err(|e| bad_line(n, &e.to_string()))?;
        order = match order {
            Order::Unknown => Order::FirstSeen(Kept::of(&line, n)),
            Order::FirstSeen(first) if line.chain.as_ref().map(|l| l.seq) < first.seq() => {
                Order::NewestFirst(vec![first, Kept::of(&line, n)])
            }
            Order::FirstSeen(first) => {
                first.push(&mut verifier);
                push(&mut verifier, &line, n);
                Order::OldestFirst
            }
            Order::OldestFirst => {
                push(&mut verifier, &line, n);
                Order::OldestFirst
            }
            Order::NewestFirst(mut kept) => {
                kept.push(Kept::of(&line, n));
                Order::NewestFirst(kept)
            }
        };
        if verifier.is_broken() {
            break;
        }
    }
    match order {
        Order::FirstSeen(only) => only.push(&mut verifier),
        Order::NewestFirst(kept) => {
            for k in kept.into_iter().rev() {
                k.push(&mut verifier);
                if verifier.is_broken() {
                    break;
                }
            }
        }
        Order::Unknown | Order::OldestFirst => {}
    }
    Ok(verifier.finish(None))
}

/// What the lines read so far say about the file's order.
enum Order {
    Unknown,
    /// One event read: the next one tells.
    FirstSeen(Kept),
    OldestFirst,
    NewestFirst(Vec<Kept>),
}

fn push(verifier: &mut ChainVerifier, line: &Line<'_>, n: u64) {
    let content = line.content();
    verifier.push_link(line.id, line.link(), Some(n), |buf, seq, prev| {
        buf.clear();
        content.write(buf, seq, prev);
        sha256_hex(buf)
    });
}

/// What the walk needs of a line read before its turn: its link and its content's hash
/// (taken at the place the link claims, which is where the walk checks it).
struct Kept {
    line: u64,
    id: AuditEventId,
    link: Option<(i64, String, String)>,
    content_hash: String,
}

impl Kept {
    fn of(line: &Line<'_>, n: u64) -> Self {
        let link = line.link();
        let content_hash = link.map_or_else(String::new, |l| {
            let mut buf = Vec::with_capacity(1024);
            line.content().write(&mut buf, l.seq, l.prev_hash);
            sha256_hex(&buf)
        });
        Self {
            line: n,
            id: line.id,
            link: link.map(|l| (l.seq, l.prev_hash.to_owned(), l.hash.to_owned())),
            content_hash,
        }
    }

    fn seq(&self) -> Option<i64> {
        self.link.as_ref().map(|l| l.0)
    }

    fn push(self, verifier: &mut ChainVerifier) {
        let link = self.link.as_ref().map(|(seq, prev_hash, hash)| LinkRef {
            seq: *seq,
            prev_hash,
            hash,
        });
        let hash = self.content_hash;
        verifier.push_link(self.id, link, Some(self.line), |_, _, _| hash);
    }
}

fn bad_line(n: u64, why: &str) -> Error {
    Error::invalid(
        "invalid_export",
        "file",
        format!("line {n} is not an audit event: {why}"),
    )
}
