//! Findings as events: each computation compares what it found with what stood at the last
//! one, and records each finding that appeared (`advisor.finding_opened`) or went
//! (`advisor.finding_resolved`), by the system, so webhooks subscribed to `advisor` and the
//! audit trail learn of them. Runs on every computation (the daily score, each view of the
//! report); a finding opened or resolved by two computations at once is told once.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::report::Finding;
use super::store::OpenFinding;
use crate::audit::{AuditEvent, RequestContext};
use crate::error::Result;
use crate::ids::BusinessId;
use crate::principal::Actor;
use crate::services::{Audit, Gatehouse};

impl Gatehouse {
    /// Records the findings that opened or were resolved since the last computation, with
    /// their audit events; how many changed.
    pub(super) async fn track_findings(
        &self,
        business: BusinessId,
        found: &[Finding],
    ) -> Result<usize> {
        let open = self.store().list_open_findings(business).await?;
        let now_found: BTreeMap<&str, &Finding> =
            found.iter().map(|f| (f.key.as_str(), f)).collect();
        let was_open: BTreeSet<&str> = open.iter().map(|o| o.key.as_str()).collect();
        let opened: Vec<&Finding> = now_found
            .iter()
            .filter(|(key, _)| !was_open.contains(*key))
            .map(|(_, f)| *f)
            .collect();
        let resolved: Vec<&OpenFinding> = open
            .iter()
            .filter(|o| !now_found.contains_key(o.key.as_str()))
            .collect();
        if opened.is_empty() && resolved.is_empty() {
            return Ok(0);
        }
        let now = self.now();
        let actor = Actor::system();
        let ctx = RequestContext::default();
        let audit = Audit::new(now, Some(business), &actor, &ctx);
        let mut events: Vec<AuditEvent> = Vec::new();
        let mut tx = self.store().begin().await?;
        for f in opened {
            let record = OpenFinding {
                key: f.key.clone(),
                kind: f.kind.code(),
                title: f.title.clone(),
                opened_at: now,
            };
            if tx.open_finding(business, &record).await? {
                events.push(audit.event(
                    "advisor.finding_opened",
                    ("finding", f.key.clone(), f.title.clone()),
                    None,
                    Some(json!(f)),
                ));
            }
        }
        for o in resolved {
            if tx.resolve_finding(business, &o.key).await? {
                events.push(audit.event(
                    "advisor.finding_resolved",
                    ("finding", o.key.clone(), o.title.clone()),
                    Some(json!({
                        "kind": o.kind,
                        "title": o.title,
                        "opened_at": crate::clock::rfc3339(o.opened_at),
                    })),
                    None,
                ));
            }
        }
        let changed = events.len();
        if changed == 0 {
            // Another computation (another node's, at start) opened and resolved them all
            // first: nothing to write, nothing to audit.
            return Ok(0);
        }
        self.commit(tx, events).await?;
        Ok(changed)
    }
}
