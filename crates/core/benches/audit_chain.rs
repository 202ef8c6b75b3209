//! Verifying an audit hash chain of 1,000,000 events: in memory (hashing the canonical
//! content of each and checking every link), and from a JSON Lines export file (parsing each
//! line as well), which is what `gatehouse audit verify --file` does: the file (about 0.9 GB)
//! is written once under the system's temporary folder and read through a `BufReader` each
//! time, as the command reads it.
//! `cargo bench -p gatehouse-core --bench audit_chain`

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark setup

use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, BufWriter, Write};

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use gatehouse_core::actor::{Actor, ActorKind};
use gatehouse_core::audit::{AuditEvent, AuditTarget};
use gatehouse_core::audit_chain::{ChainHead, ChainVerifier, link, verify_export};
use gatehouse_core::ids::{AuditEventId, BusinessId};
use serde_json::json;
use time::macros::datetime;

const EVENTS: usize = 1_000_000;

/// A chain of `n` events shaped like the product's (a user changed by an administrator,
/// with before and after states and the request's context).
fn chain(n: usize) -> Vec<AuditEvent> {
    let start = datetime!(2026-11-29 09:00 UTC);
    let business = BusinessId::new(start);
    let mut head = ChainHead::genesis();
    (0..n)
        .map(|i| {
            let at = start + time::Duration::milliseconds(i as i64);
            let mut e = AuditEvent {
                id: AuditEventId::new(at),
                occurred_at: at,
                business_id: Some(business),
                actor: Actor {
                    kind: ActorKind::User,
                    id: Some("0193a4e0-0000-7000-8000-000000000001".into()),
                    label: "admin@example.com".into(),
                },
                action: "user.updated".into(),
                target: AuditTarget {
                    kind: "user".into(),
                    id: format!("0193a4e0-0000-7000-8000-{i:012}"),
                    label: format!("user{i}@example.com"),
                },
                before: Some(json!({ "display_name": "Dana", "groups": ["Support"], "version": 3 })),
                after: Some(json!({ "display_name": "Dana K.", "groups": ["Support", "Ops"], "version": 4 })),
                request_id: Some(format!("req-{i}")),
                client_ip: Some("203.0.113.7".into()),
                user_agent: Some("Mozilla/5.0 (X11; Linux x86_64)".into()),
                chain: None,
            };
            link(&mut e, &mut head);
            e
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let events = chain(EVENTS);
    let path = std::env::temp_dir().join(format!("gatehouse-audit-{}.jsonl", std::process::id()));
    let mut export = BufWriter::new(File::create(&path).unwrap());
    for e in &events {
        serde_json::to_writer(&mut export, e).unwrap();
        export.write_all(b"\n").unwrap();
    }
    export.flush().unwrap();
    drop(export);
    let mut g = c.benchmark_group("audit_chain");
    g.sampling_mode(SamplingMode::Flat).sample_size(10);
    g.bench_function("verify_1m_in_memory", |b| {
        b.iter(|| {
            let mut v = ChainVerifier::new(None);
            for e in &events {
                v.push(e);
            }
            let report = v.finish(None);
            assert!(report.intact);
            black_box(report)
        });
    });
    g.bench_function("verify_1m_export_file", |b| {
        b.iter(|| {
            let file = BufReader::with_capacity(1 << 16, File::open(&path).unwrap());
            let report = verify_export(file, None).unwrap();
            assert_eq!(report.events, EVENTS as u64);
            black_box(report)
        });
    });
    g.finish();
    std::fs::remove_file(&path).unwrap();
}

criterion_group!(benches, bench);
criterion_main!(benches);
