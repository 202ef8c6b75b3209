//! `gatehouse serve`: the setup banner, health, the operator token, JSON logs, SIGTERM.

use std::path::Path;

use serde_json::Value;

use crate::helpers::{Server, get, postgres_url};

#[test]
fn serve_prints_its_setup_answers_health_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let mut server = Server::start(&["--data-dir", data, "serve", "--listen", "127.0.0.1:0"]);

    let token_line = server.wait_for("gho_");
    let token = token_line.trim().to_owned();
    assert!(
        token.starts_with("gho_") && !token.contains(' '),
        "{token_line}"
    );
    let database = server.wait_for("database:");
    assert!(
        database.contains("SQLite file") && database.contains("gatehouse.db"),
        "{database}"
    );
    let addr = server.address();
    server.wait_for("operator token:");

    assert_eq!(get(&addr, "/healthz", None).0, 200);
    assert_eq!(get(&addr, "/readyz", None).0, 200);
    assert_eq!(get(&addr, "/api/v1/businesses", None).0, 401);
    let (status, body) = get(&addr, "/api/v1/businesses", Some(&token));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        server.seen.iter().filter(|l| l.contains(&token)).count(),
        1,
        "the token is printed once, never logged"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(Path::new(data).join("operator-token.sha256"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    server.terminate();

    // The second start keeps the token and does not print it again.
    let mut server = Server::start(&[
        "--data-dir",
        data,
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--log-format",
        "json",
    ]);
    let addr = server.address();
    let line = server.wait_for("operator token:");
    assert!(line.contains("printed on first start"), "{line}");
    assert!(
        server.seen.iter().all(|l| !l.contains("gho_")),
        "{:?}",
        server.seen
    );
    let log = server.wait_for("gatehouse is listening");
    let event: Value =
        serde_json::from_str(&log).unwrap_or_else(|e| panic!("JSON log line ({e}): {log}"));
    assert_eq!(event["level"], "INFO");
    assert_eq!(get(&addr, "/api/v1/businesses", Some(&token)).0, 200);
    server.terminate();
}

#[test]
fn serve_works_the_same_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let mut server = Server::start(&[
        "--data-dir",
        data,
        "--database-url",
        &url,
        "serve",
        "--listen",
        "127.0.0.1:0",
    ]);
    let database = server.wait_for("database:");
    assert!(database.contains("PostgreSQL"), "{database}");
    let addr = server.address();
    assert_eq!(get(&addr, "/readyz", None).0, 200);
    server.terminate();
}

#[test]
fn first_start_prints_a_setup_link_and_keeps_the_totp_key_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let mut server = Server::start(&["--data-dir", data, "serve", "--listen", "127.0.0.1:0"]);
    let addr = server.address();
    let line = server.wait_for("/setup/");
    let link = line.trim();
    assert!(link.starts_with(&format!("http://{addr}/setup/")), "{link}");
    let (status, page) = get(&addr, &link[format!("http://{addr}").len()..], None);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Set up Gatehouse"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(Path::new(data).join("totp.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    server.terminate();
}

/// The soft and hard open-file limits of a running process.
#[cfg(target_os = "linux")]
fn open_file_limits(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let mut numbers = line["Max open files".len()..].split_whitespace();
    (
        numbers.next().unwrap().to_owned(),
        numbers.next().unwrap().to_owned(),
    )
}

#[cfg(target_os = "linux")]
#[test]
fn serve_raises_its_open_file_limit_and_keeps_the_connection_cap_under_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let args = ["--data-dir", data, "serve", "--listen", "127.0.0.1:0"];

    // A low soft limit under a higher hard one: raised to the hard one.
    let mut server = Server::start_with_ulimit("-Sn 256", &args);
    let addr = server.address();
    let (soft, hard) = open_file_limits(server.pid());
    assert_eq!(soft, hard, "soft limit raised to the hard limit");
    assert_eq!(get(&addr, "/healthz", None).0, 200);
    server.terminate();

    // A low hard limit: the connection cap is lowered to fit, with a warning.
    let mut server = Server::start_with_ulimit("-n 300", &args);
    let warning = server.wait_for("server.max_connections lowered");
    assert!(warning.contains("220"), "300 less the reserve: {warning}");
    let addr = server.address();
    assert_eq!(get(&addr, "/healthz", None).0, 200);
    server.terminate();
}

#[test]
fn serve_exposes_metrics_on_their_own_listener_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let mut server = Server::start_with_env(
        &["--data-dir", data, "serve", "--listen", "127.0.0.1:0"],
        &[("GATEHOUSE__METRICS__LISTEN", "127.0.0.1:0")],
    );
    let addr = server.address();
    let line = server.wait_for("metrics served at /metrics");
    let at = line
        .split("listen=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line}"))
        .to_owned();
    // Not on the public port (that request is timed, as every other).
    assert_eq!(get(&addr, "/metrics", None).0, 404);
    let (status, body) = get(&at, "/metrics", None);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\ngatehouse_store_up 1\n"), "{body}");
    assert!(
        body.contains(r#"gatehouse_http_request_duration_seconds_count{method="GET",route="unmatched",status="4xx"} 1"#),
        "{body}"
    );
    server.terminate();
}
