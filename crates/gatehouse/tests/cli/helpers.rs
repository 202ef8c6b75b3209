//! Running the built binary: commands with a clean environment, JSON results, a fresh
//! PostgreSQL schema, and a `serve` process read line by line.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gatehouse_store::testing::{TestDatabase, Unavailable};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");

/// The binary with a quiet log and no configuration leaking in from the environment.
pub fn gatehouse(args: &[&str]) -> Command {
    let mut cmd = quiet(Command::new(BIN));
    cmd.args(args);
    cmd
}

/// `cmd` without `GATEHOUSE__*` variables from the environment, logging warnings only.
fn quiet(mut cmd: Command) -> Command {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("GATEHOUSE__") {
            cmd.env_remove(key);
        }
    }
    cmd.env("GATEHOUSE__LOG__LEVEL", "warn")
        .stdin(Stdio::null());
    cmd
}

pub fn run(args: &[&str]) -> Output {
    gatehouse(args).output().expect("the binary runs")
}

/// Runs a command that must succeed and print JSON.
pub fn json(args: &[&str]) -> Value {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Where the commands' data goes: `--data-dir DIR` plus, for PostgreSQL, `--database-url`.
pub fn db_args<'a>(dir: &'a str, url: Option<&'a str>) -> Vec<&'a str> {
    let mut args = vec!["--data-dir", dir];
    if let Some(url) = url {
        args.extend(["--database-url", url]);
    }
    args
}

pub fn with<'a>(base: &[&'a str], args: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(args).copied().collect()
}

/// A fresh PostgreSQL schema, or `None` (with a notice) when no server is configured.
pub fn postgres_url() -> Option<String> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDatabase::postgres());
    match db {
        Ok(db) => {
            runtime.block_on(db.store.close());
            Some(db.url.clone())
        }
        Err(Unavailable::Skipped) => {
            eprintln!(
                "notice: GATEHOUSE_TEST_POSTGRES_URL is not set; skipping the PostgreSQL CLI test"
            );
            None
        }
        Err(Unavailable::Failed(e)) => panic!("PostgreSQL test database: {e}"),
    }
}

/// A running `gatehouse serve`, stopped when dropped.
pub struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Server {
    pub fn start(args: &[&str]) -> Self {
        Self::start_with_env(args, &[])
    }

    /// [`Server::start`] with configuration in environment variables.
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut cmd = gatehouse(args);
        cmd.envs(env.iter().copied());
        Self::spawn(cmd)
    }

    /// Started by `sh` after `ulimit <limit>` (e.g. `-Sn 256`): with other resource limits.
    pub fn start_with_ulimit(limit: &str, args: &[&str]) -> Self {
        let mut cmd = quiet(Command::new("sh"));
        cmd.args(["-c", &format!("ulimit {limit} && exec \"$0\" \"$@\""), BIN])
            .args(args);
        Self::spawn(cmd)
    }

    fn spawn(mut cmd: Command) -> Self {
        cmd.env("GATEHOUSE__LOG__LEVEL", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a standard-error line containing `needle`.
    pub fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("`{needle}` never printed; got:\n{}", self.seen.join("\n"));
    }

    /// The address from the setup banner.
    pub fn address(&mut self) -> String {
        let line = self.wait_for("listening on:");
        let start = line.find("http://").unwrap() + "http://".len();
        line[start..].split_whitespace().next().unwrap().to_owned()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn terminate(mut self) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "serve exits cleanly on SIGTERM: {status}");
                return;
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Server {
    /// Kills the process outright (SIGKILL: no shutdown, nothing flushed) and reaps it.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 GET; returns the status code and the body.
pub fn get(addr: &str, path: &str, bearer: Option<&str>) -> (u16, String) {
    request(addr, "GET", path, bearer, None)
}

/// A plain HTTP/1.1 request, with a JSON body if given; returns the status code and the
/// body, read to the end.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    json: Option<&str>,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let auth = bearer
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let body = json.map_or_else(String::new, |j| {
        format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{j}",
            j.len()
        )
    });
    let end = if json.is_some() { "" } else { "\r\n" };
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n{body}{end}"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}
