//! Mail survives a crash. An invitation that was answered 201 while its mail could not go
//! out yet (a mail server that accepts connections but never answers, or an outbox folder
//! that cannot be written) is delivered after the server is killed with SIGKILL at once
//! and started again with mail working: the mail was in the database, not in the dead
//! process. And a CLI command delivers the mail it queued before it exits.

use std::path::Path;
use std::time::{Duration, Instant};

use gatehouse_mail::testing::SmtpReceiver;

use crate::helpers::{Server, db_args, json, postgres_url, request, with};

/// Short leases and retries, so the restarted server takes the mail over quickly.
const DELIVERY: [(&str, &str); 3] = [
    ("GATEHOUSE__MAIL__LEASE_SECONDS", "2"),
    ("GATEHOUSE__MAIL__RETRY_INITIAL_SECONDS", "1"),
    ("GATEHOUSE__MAIL__POLL_INTERVAL_MS", "100"),
];

/// Configuration for mail over SMTP to `port` on this machine.
fn smtp_env(port: &str) -> Vec<(&str, &str)> {
    let mut env = vec![
        ("GATEHOUSE__MAIL__SMTP_HOST", "127.0.0.1"),
        ("GATEHOUSE__MAIL__SMTP_PORT", port),
        ("GATEHOUSE__MAIL__SMTP_TLS", "none"),
    ];
    env.extend(DELIVERY);
    env
}

/// A business `acme` and an API key that may invite; returns the key's token.
fn business_and_key(base: &[&str]) -> String {
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
    key["token"].as_str().unwrap().to_owned()
}

/// Starts `serve` with `env`, invites `email` through the API, and kills the server the
/// moment the 201 has arrived.
fn invite_then_kill(base: &[&str], env: &[(&str, &str)], token: &str, email: &str) {
    let mut server =
        Server::start_with_env(&with(base, &["serve", "--listen", "127.0.0.1:0"]), env);
    let addr = server.address();
    let body = format!(r#"{{"email":"{email}"}}"#);
    let (status, answer) = request(&addr, "POST", "/api/v1/users", Some(token), Some(&body));
    server.kill();
    assert_eq!(status, 201, "{answer}");
}

fn invitation_survives_a_kill(base: &[&str]) {
    let token = business_and_key(base);
    // Connections to it are queued by the kernel and never answered.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port().to_string();
    invite_then_kill(base, &smtp_env(&silent_port), &token, "dana@example.com");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let receiver = runtime.block_on(SmtpReceiver::start()).unwrap();
    let port = receiver.port.to_string();
    let mut server = Server::start_with_env(
        &with(base, &["serve", "--listen", "127.0.0.1:0"]),
        &smtp_env(&port),
    );
    server.address();
    let mail = (0..6)
        .find_map(|_| runtime.block_on(receiver.wait_for("dana@example.com", "invited", 1)))
        .expect("the invitation is delivered after the restart");
    let link = mail.link("http://").unwrap();
    assert!(link.contains("/b/acme/invitation/"), "{link}");
    assert_eq!(receiver.mails().len(), 1, "delivered once");
    drop(silent);
    server.terminate();
}

#[test]
fn invitation_mail_survives_a_kill_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    invitation_survives_a_kill(&db_args(data.to_str().unwrap(), None));
}

#[test]
fn invitation_mail_survives_a_kill_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    invitation_survives_a_kill(&db_args(dir.path().to_str().unwrap(), Some(&url)));
}

/// The `.eml` files in `outbox` whose recipient is `to`.
fn outbox_mails(outbox: &Path, to: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(outbox) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .filter(|text| text.contains(&format!("To: {to}")))
        .collect()
}

#[test]
fn outbox_mail_survives_a_kill_and_the_cli_delivers_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let base = db_args(data.to_str().unwrap(), None);
    let token = business_and_key(&base);
    // The outbox cannot be written: a file stands where its folder goes (root or not).
    let outbox = data.join("outbox");
    std::fs::write(&outbox, "not a folder").unwrap();
    invite_then_kill(&base, &DELIVERY, &token, "dana@example.com");
    assert!(outbox_mails(&outbox, "dana@example.com").is_empty());

    std::fs::remove_file(&outbox).unwrap();
    let mut server = Server::start_with_env(
        &with(&base, &["serve", "--listen", "127.0.0.1:0"]),
        &DELIVERY,
    );
    server.address();
    let deadline = Instant::now() + Duration::from_secs(60);
    while outbox_mails(&outbox, "dana@example.com").is_empty() {
        assert!(Instant::now() < deadline, "no .eml after the restart");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mails = outbox_mails(&outbox, "dana@example.com");
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("/b/acme/invitation/"));
    server.terminate();

    // No server running: the command itself delivers what it queued before it exits.
    json(&with(
        &base,
        &[
            "--json",
            "user",
            "invite",
            "--business",
            "acme",
            "--email",
            "eve@example.com",
        ],
    ));
    assert_eq!(outbox_mails(&outbox, "eve@example.com").len(), 1);
}
