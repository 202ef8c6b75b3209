//! Verifying an export file offline: JSON Lines, one event (as the API answers it, with its
//! `chain`) a line, oldest or newest first.

use std::io::BufRead;

use super::{ChainHead, ChainReport, ChainVerifier};
use crate::audit::AuditEvent;
use crate::error::{Error, Result};

/// Reads every event of `input` and verifies their chain. An export may cover only part of
/// the chain (from a position on): its first event's `prev_hash` is then taken as given, and
/// only `published` (a head published earlier) ties it to the whole.
pub fn verify_export(input: impl BufRead, published: Option<ChainHead>) -> Result<ChainReport> {
    let mut events = Vec::new();
    for (n, line) in input.lines().enumerate() {
        let line = line.map_err(|e| bad_line(n, &e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let event: AuditEvent =
            serde_json::from_str(&line).map_err(|e| bad_line(n, &e.to_string()))?;
        events.push(event);
    }
    let seq = |e: Option<&AuditEvent>| e.and_then(|e| e.chain.as_ref()).map(|l| l.seq);
    if seq(events.first()) > seq(events.last()) {
        events.reverse();
    }
    let mut verifier = ChainVerifier::from_anywhere(published);
    for e in &events {
        verifier.push(e);
        if verifier.is_broken() {
            break;
        }
    }
    Ok(verifier.finish(None))
}

fn bad_line(n: usize, why: &str) -> Error {
    Error::invalid(
        "invalid_export",
        "file",
        format!("line {} is not an audit event: {why}", n + 1),
    )
}
