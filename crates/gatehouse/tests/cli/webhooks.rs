//! Webhook deliveries survive a crash: events answered 2xx while their receiver was not
//! answering (deliveries under way) all arrive after `serve` is killed with SIGKILL and
//! started again — they were in the database's outbox, not in the dead process. And the
//! audit chain is verified by the CLI, in the database and in an export.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{Server, db_args, json, postgres_url, request, run, with};

/// Local receivers allowed, short leases and retries, so the restarted server takes the
/// deliveries over quickly.
const WEBHOOKS: [(&str, &str); 5] = [
    ("GATEHOUSE__WEBHOOKS__ALLOW_PRIVATE_ADDRESSES", "true"),
    ("GATEHOUSE__WEBHOOKS__ALLOW_HTTP", "true"),
    ("GATEHOUSE__WEBHOOKS__LEASE_SECONDS", "2"),
    ("GATEHOUSE__WEBHOOKS__RETRY_INITIAL_SECONDS", "1"),
    ("GATEHOUSE__WEBHOOKS__POLL_INTERVAL_MS", "100"),
];

/// Whether to answer, what was seen, what was accepted.
type Shared = (
    Arc<AtomicBool>,
    Arc<Mutex<Vec<Value>>>,
    Arc<Mutex<Vec<Value>>>,
);

/// A receiver on 127.0.0.1 that records every request and answers 204 only while
/// `answering` (otherwise it holds the connection open, never answering).
struct Receiver {
    url: String,
    answering: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Value>>>,
    accepted: Arc<Mutex<Vec<Value>>>,
}

fn handle(stream: TcpStream, r: Shared) {
    let (answering, seen, accepted) = r;
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let event: Value = serde_json::from_slice(&body).unwrap();
    seen.lock().unwrap().push(event.clone());
    if !answering.load(Ordering::SeqCst) {
        // Under way when the server dies; never answered.
        std::thread::sleep(Duration::from_secs(30));
        return;
    }
    let mut stream = reader.into_inner();
    if stream
        .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        .is_ok()
    {
        accepted.lock().unwrap().push(event);
    }
}

impl Receiver {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let r = Self {
            url,
            answering: Arc::default(),
            seen: Arc::default(),
            accepted: Arc::default(),
        };
        let shared = (r.answering.clone(), r.seen.clone(), r.accepted.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = shared.clone();
                std::thread::spawn(move || handle(stream, shared));
            }
        });
        r
    }

    /// Waits (at most a minute) until `f` holds for what was received.
    fn wait(&self, list: &Mutex<Vec<Value>>, f: impl Fn(&[Value]) -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if f(&list.lock().unwrap()) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

fn ids(events: &[Value]) -> BTreeSet<String> {
    events
        .iter()
        .map(|e| e["data"]["id"].as_str().unwrap().to_owned())
        .collect()
}

fn deliveries_survive_a_kill(base: &[&str]) {
    json(&with(
        base,
        &[
            "--json", "business", "create", "--name", "Acme", "--slug", "acme",
        ],
    ));
    let key = json(&with(
        base,
        &[
            "--json",
            "api-key",
            "create",
            "--business",
            "acme",
            "--name",
            "hr",
            "--all",
        ],
    ));
    let token = key["token"].as_str().unwrap();
    let receiver = Receiver::start();
    let mut server = Server::start_with_env(
        &with(base, &["serve", "--listen", "127.0.0.1:0"]),
        &WEBHOOKS,
    );
    let addr = server.address();
    let body = format!(r#"{{"url":"{}","event_types":["users"]}}"#, receiver.url);
    let (status, answer) = request(&addr, "POST", "/api/v1/webhooks", Some(token), Some(&body));
    assert_eq!(status, 201, "{answer}");
    let mut created = BTreeSet::new();
    for i in 0..5 {
        let body = format!(r#"{{"email":"u{i}@example.com"}}"#);
        let (status, user) = request(&addr, "POST", "/api/v1/users", Some(token), Some(&body));
        assert_eq!(status, 201, "{user}");
        created.insert(
            serde_json::from_str::<Value>(&user).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert!(
        receiver.wait(&receiver.seen, |s| !s.is_empty()),
        "a delivery is under way"
    );
    server.kill();
    receiver.answering.store(true, Ordering::SeqCst);
    let mut server = Server::start_with_env(
        &with(base, &["serve", "--listen", "127.0.0.1:0"]),
        &WEBHOOKS,
    );
    server.address();
    assert!(
        receiver.wait(&receiver.accepted, |a| ids(a).len() == 5),
        "every event arrives after the restart; got {:?}",
        ids(&receiver.accepted.lock().unwrap())
    );
    let accepted = receiver.accepted.lock().unwrap().clone();
    let targets: BTreeSet<String> = accepted
        .iter()
        .map(|e| e["data"]["target"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(targets, created, "one user.created per user");
    server.terminate();

    // The chain of everything that happened verifies, in the database and exported.
    let report = json(&with(
        base,
        &["--json", "audit", "verify", "--business", "acme"],
    ));
    assert_eq!(report["intact"], true, "{report}");
    let head = run(&with(base, &["audit", "head", "--business", "acme"]));
    let head = String::from_utf8(head.stdout).unwrap().trim().to_owned();
    let export = run(&with(base, &["audit", "export", "--business", "acme"]));
    assert!(export.status.success());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.jsonl");
    std::fs::write(&file, &export.stdout).unwrap();
    let path = file.to_str().unwrap();
    let offline = json(&["--json", "audit", "verify", "--file", path, "--head", &head]);
    assert_eq!(offline["intact"], true, "{offline}");
    assert_eq!(offline["head"]["seq"], report["head"]["seq"]);
    // One byte changed in the export: the exact event is named and the command fails.
    let text = String::from_utf8(export.stdout).unwrap();
    let forged = text.replacen("u3@example.com", "u9@example.com", 1);
    std::fs::write(&file, forged).unwrap();
    let out = run(&["--json", "audit", "verify", "--file", path]);
    assert!(!out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["first_break"]["problem"], "hash_mismatch",
        "{report}"
    );
    let line = text
        .lines()
        .position(|l| l.contains("u3@example.com"))
        .unwrap()
        + 1;
    assert_eq!(report["first_break"]["line"], line, "{report}");
}

#[test]
fn webhook_deliveries_survive_a_kill_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    deliveries_survive_a_kill(&db_args(data.to_str().unwrap(), None));
}

#[test]
fn webhook_deliveries_survive_a_kill_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    deliveries_survive_a_kill(&db_args(dir.path().to_str().unwrap(), Some(&url)));
}
