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

fn export_of(events: &[AuditEvent]) -> String {
    events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect()
}

#[test]
fn an_export_verifies_oldest_or_newest_first() {
    let events = chain(7);
    let oldest = verify_export(export_of(&events).as_bytes(), Some(head_of(&events))).unwrap();
    assert!(oldest.intact, "{oldest:?}");
    assert_eq!((oldest.events, oldest.head.clone()), (7, head_of(&events)));
    let mut reversed = events.clone();
    reversed.reverse();
    let newest = verify_export(export_of(&reversed).as_bytes(), None).unwrap();
    assert_eq!(newest, oldest);
}

#[test]
fn a_tampered_export_is_reported_at_its_line() {
    let events = chain(8);
    let text = export_of(&events);
    // The file as someone edited it: a blank line kept, event 6's target renamed in place.
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.insert(2, String::new());
    lines[6] = lines[6].replacen("\"Ops \\\"live\\\"\"", "\"Ops\"", 1);
    let tampered = lines.join("\n");
    let b = verify_export(tampered.as_bytes(), None)
        .unwrap()
        .first_break
        .unwrap();
    assert_eq!(
        (b.seq, b.problem, b.event_id, b.line),
        (6, ChainProblem::HashMismatch, Some(events[5].id), Some(7))
    );

    // Newest first, a line removed: found where the gap is.
    let mut reversed = events.clone();
    reversed.reverse();
    reversed.remove(4);
    let b = verify_export(export_of(&reversed).as_bytes(), None)
        .unwrap()
        .first_break
        .unwrap();
    assert_eq!(
        (b.seq, b.problem, b.line),
        (4, ChainProblem::Missing, Some(4))
    );
}

#[test]
fn an_export_line_hashes_as_its_event_whatever_its_layout() {
    let events = chain(3);
    // Keys reordered and spaced, `before`'s members out of order and escaped: same content.
    let mut text = export_of(&events);
    let e = &events[1];
    let link = e.chain.clone().unwrap();
    let edited = format!(
        "{{ \"chain\": {{\"hash\":\"{}\",\"seq\":2,\"prev_hash\":\"{}\"}}, \"before\": {{\"z\" : 1, \"a\":[true,null,\"\\u00e9\"]}},\
         \"after\":null,\"id\":\"{}\",\"occurred_at\":\"{}\",\"business_id\":\"{}\",\"actor\":{{\"kind\":\"user\",\"id\":\"u\\u0031\",\"label\":\"ann@example.com\"}},\
         \"action\":\"group.updated\",\"target\":{{\"kind\":\"group\",\"id\":\"g1\",\"label\":\"Ops \\\"live\\\"\"}},\"request_id\":\"r1\",\"client_ip\":null,\"user_agent\":\"tests\"}}",
        link.hash,
        link.prev_hash,
        e.id,
        e.occurred_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap(),
        e.business_id.unwrap(),
    );
    let lines: Vec<&str> = text.lines().collect();
    text = [lines[0], &edited, lines[2]].join("\n");
    let report = verify_export(text.as_bytes(), None).unwrap();
    assert!(report.intact, "{report:?}");
    assert_eq!(report.events, 3);
}

#[test]
fn a_line_that_is_not_an_event_is_refused_by_number() {
    let events = chain(2);
    let text = export_of(&events) + "{\"id\":1}\n";
    let err = verify_export(text.as_bytes(), None).unwrap_err();
    assert_eq!(err.code(), "invalid_export");
    assert!(err.to_string().contains("line 3"), "{err}");
}

#[test]
fn stored_rows_verify_as_their_events_do() {
    let mut events = chain(4);
    events[2].after = Some(json!({"b": {"y": 2, "x": [1.5, "\u{1}"]}, "a": null}));
    // Linked after the change to event 3, so the chain holds.
    let mut head = ChainHead::genesis();
    events.iter_mut().for_each(|e| link(e, &mut head));
    let texts: Vec<(Option<String>, Option<String>)> = events
        .iter()
        .map(|e| {
            (
                e.before.as_ref().map(ToString::to_string),
                e.after.as_ref().map(ToString::to_string),
            )
        })
        .collect();
    let walk = |events: &[AuditEvent]| {
        let mut v = ChainVerifier::new(None);
        let mut scratch = StoredScratch::default();
        for (e, (before, after)) in events.iter().zip(&texts) {
            let link = e.chain.as_ref().unwrap();
            let row = StoredEvent {
                id: e.id,
                business_id: e.business_id,
                occurred_at: crate::clock::to_micros(e.occurred_at),
                actor_kind: e.actor.kind,
                actor_id: e.actor.id.as_deref(),
                actor_label: &e.actor.label,
                action: &e.action,
                target_kind: &e.target.kind,
                target_id: &e.target.id,
                target_label: &e.target.label,
                before: before.as_deref(),
                after: after.as_deref(),
                request_id: e.request_id.as_deref(),
                client_ip: e.client_ip.as_deref(),
                user_agent: e.user_agent.as_deref(),
                link: Some((link.seq, &link.prev_hash, &link.hash)),
            };
            v.push_stored(&row, &mut scratch).unwrap();
        }
        v.finish(Some(&head))
    };
    let report = walk(&events);
    assert_eq!(report, verify(&events, Some(&head)));
    assert!(report.intact, "{report:?}");
    let mut changed = events.clone();
    changed[1].action = "forged".into();
    let b = walk(&changed).first_break.unwrap();
    assert_eq!((b.seq, b.problem), (2, ChainProblem::HashMismatch));
}
