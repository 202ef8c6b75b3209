use serde_json::json;
use time::macros::datetime;

use super::*;
use crate::actor::{Actor, ActorKind};
use crate::audit::AuditTarget;
use crate::ids::{AuditEventId, BusinessId};

fn chain(n: usize) -> Vec<AuditEvent> {
    let business = BusinessId::new(datetime!(2026-11-29 09:00 UTC));
    let mut head = ChainHead::genesis();
    (0..n)
        .map(|i| {
            let at = datetime!(2026-11-29 09:00 UTC) + time::Duration::seconds(i as i64);
            let mut e = AuditEvent {
                id: AuditEventId::new(at),
                occurred_at: at,
                business_id: Some(business),
                actor: Actor {
                    kind: ActorKind::User,
                    id: Some("u1".into()),
                    label: "ann@example.com".into(),
                },
                action: "group.updated".into(),
                target: AuditTarget {
                    kind: "group".into(),
                    id: format!("g{i}"),
                    label: "Ops \"live\"".into(),
                },
                before: Some(json!({"z": 1, "a": [true, null, "é"]})),
                after: None,
                request_id: Some(format!("r{i}")),
                client_ip: None,
                user_agent: Some("tests".into()),
                chain: None,
            };
            link(&mut e, &mut head);
            e
        })
        .collect()
}

fn verify(events: &[AuditEvent], recorded: Option<&ChainHead>) -> ChainReport {
    let mut v = ChainVerifier::new(None);
    for e in events {
        v.push(e);
    }
    v.finish(recorded)
}

fn head_of(events: &[AuditEvent]) -> ChainHead {
    let last = events.last().and_then(|e| e.chain.clone()).unwrap();
    ChainHead {
        seq: last.seq,
        hash: last.hash,
    }
}

#[test]
fn canonical_bytes_are_fixed_order_sorted_keys_and_escaped() {
    let e = &chain(1)[0];
    let text = String::from_utf8(canonical_bytes(e, 1, GENESIS_HASH)).unwrap();
    assert!(text.starts_with(&format!(
        "[\"gatehouse-audit-v1\",\"{}\",1,\"{GENESIS_HASH}\",\"{}\",1795942800000000,\"user\",\"u1\"",
        e.business_id.unwrap(),
        e.id
    )));
    assert!(
        text.contains(r#""Ops \"live\"",{"a":[true,null,"é"],"z":1},null,"r0",null,"tests"]"#),
        "{text}"
    );
}

#[test]
fn an_untouched_chain_verifies_and_reports_its_head() {
    let events = chain(5);
    let report = verify(&events, Some(&head_of(&events)));
    assert!(report.intact, "{report:?}");
    assert_eq!(report.events, 5);
    assert_eq!(report.head, head_of(&events));
}

#[test]
fn each_kind_of_tampering_is_found_at_its_link() {
    let events = chain(6);
    let head = head_of(&events);

    let mut changed = events.clone();
    changed[2].target.label = "Ops".into();
    let b = verify(&changed, Some(&head)).first_break.unwrap();
    assert_eq!(
        (b.seq, b.problem, b.event_id),
        (3, ChainProblem::HashMismatch, Some(events[2].id))
    );

    let mut removed = events.clone();
    removed.remove(3);
    let b = verify(&removed, Some(&head)).first_break.unwrap();
    assert_eq!((b.seq, b.problem), (4, ChainProblem::Missing));

    let mut tail_removed = events.clone();
    tail_removed.pop();
    let b = verify(&tail_removed, Some(&head)).first_break.unwrap();
    assert_eq!((b.seq, b.problem), (6, ChainProblem::HeadMismatch));

    let mut swapped = events.clone();
    swapped.swap(1, 2);
    let b = verify(&swapped, Some(&head)).first_break.unwrap();
    assert_eq!((b.seq, b.problem), (2, ChainProblem::Missing));

    // Content moved between positions, links left in place.
    let mut reordered = events.clone();
    let (a, c) = (reordered[1].chain.clone(), reordered[2].chain.clone());
    reordered[1].chain = c;
    reordered[2].chain = a;
    reordered.swap(1, 2);
    let b = verify(&reordered, Some(&head)).first_break.unwrap();
    assert_eq!(
        (b.seq, b.problem, b.event_id),
        (2, ChainProblem::HashMismatch, Some(events[2].id))
    );

    let mut inserted = events.clone();
    let mut forged = events[2].clone();
    forged.action = "forged".into();
    inserted.insert(3, forged);
    let b = verify(&inserted, Some(&head)).first_break.unwrap();
    assert_eq!((b.seq, b.problem), (3, ChainProblem::Duplicate));
}

#[test]
fn a_rewritten_history_is_found_only_against_a_published_head() {
    let events = chain(5);
    let published = head_of(&events);
    // Whoever can write the database rewrites event 2 and recomputes every link after it.
    let mut rewritten = events.clone();
    rewritten[1].action = "forged".into();
    let mut head = ChainHead {
        seq: 1,
        hash: events[0].chain.clone().unwrap().hash,
    };
    for e in &mut rewritten[1..] {
        link(e, &mut head);
    }
    assert!(verify(&rewritten, Some(&head)).intact);
    let mut v = ChainVerifier::new(Some(published));
    rewritten.iter().for_each(|e| v.push(e));
    let b = v.finish(Some(&head)).first_break.unwrap();
    assert_eq!((b.seq, b.problem), (5, ChainProblem::PublishedHeadMismatch));
}

#[test]
fn an_export_may_start_mid_chain() {
    let events = chain(6);
    let mut v = ChainVerifier::from_anywhere(None);
    events[3..].iter().for_each(|e| v.push(e));
    let report = v.finish(None);
    assert!(report.intact);
    assert_eq!((report.first_seq, report.events), (Some(4), 3));
}

#[test]
fn heads_parse_and_print_alike() {
    let head = ChainHead {
        seq: 42,
        hash: "ab".repeat(32),
    };
    assert_eq!(ChainHead::parse(&head.to_string()).unwrap(), head);
    for bad in ["", "42", "x:ab", "-1:00", &format!("1:{}", "AB".repeat(32))] {
        assert_eq!(
            ChainHead::parse(bad).unwrap_err().code(),
            "invalid_chain_head"
        );
    }
}
