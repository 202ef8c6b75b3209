//! Password hashing with the real argon2id parameters (19 MiB, t=2, p=1): the time of one
//! verification, and what a burst of them leaves in the process's memory, for
//!
//! - "allocating": the way before the hashing workers, argon2's own `verify_password` (which
//!   allocates its 19 MiB per call) on tokio's blocking pool, at most `CONCURRENCY` at once;
//! - "workers": `PasswordHasher`, whose `CONCURRENCY` workers reuse their memory.
//!
//! `cargo bench -p gatehouse-domain --bench hasher`. Each memory figure comes from a fresh
//! process (the bench runs itself again), so neither way inherits the other's heap. Prints
//! figures; asserts nothing about time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use gatehouse_domain::auth::PasswordHasher;
use tokio::sync::Semaphore;

const PASSWORD: &str = "violet kettle marches north";
const ROUNDS: usize = 40;
const CONCURRENCY: usize = 2;
/// Callers at once in the memory run, each verifying `BURST` times.
const CALLERS: usize = 16;
const BURST: usize = 8;

#[derive(Clone)]
enum Way {
    Allocating(Arc<Semaphore>, Argon2<'static>),
    Workers(PasswordHasher),
}

impl Way {
    fn new(name: &str) -> Self {
        match name {
            "allocating" => Way::Allocating(
                Arc::new(Semaphore::new(CONCURRENCY)),
                Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::DEFAULT),
            ),
            "workers" => Way::Workers(PasswordHasher::owasp(CONCURRENCY)),
            other => panic!("no way {other}"),
        }
    }

    async fn verify(&self, phc: &str) -> bool {
        match self {
            Way::Allocating(permits, argon) => {
                let _permit = permits.acquire().await.unwrap();
                let (argon, phc) = (argon.clone(), phc.to_owned());
                tokio::task::spawn_blocking(move || {
                    let parsed = PasswordHash::new(&phc).unwrap();
                    argon.verify_password(PASSWORD.as_bytes(), &parsed).is_ok()
                })
                .await
                .unwrap()
            }
            Way::Workers(hasher) => hasher.verify(PASSWORD, Some(phc)).await.unwrap(),
        }
    }
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    kib * 1024.0 / 1e6
}

fn mean_ms(samples: &[Duration]) -> f64 {
    samples.iter().map(Duration::as_secs_f64).sum::<f64>() * 1000.0 / samples.len() as f64
}

async fn phc() -> String {
    PasswordHasher::owasp(1)
        .hash(PASSWORD, [1; 16])
        .await
        .unwrap()
}

/// In a fresh process: RSS before, and after CALLERS callers verified BURST times each.
async fn memory(name: &str) {
    let phc = phc().await;
    let way = Way::new(name);
    let before = rss_mb();
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let (way, phc) = (way.clone(), phc.clone());
            tokio::spawn(async move {
                for _ in 0..BURST {
                    assert!(way.verify(&phc).await);
                }
            })
        })
        .collect();
    for c in callers {
        c.await.unwrap();
    }
    println!(
        "[{name}] RSS {before:.1} MB before, {:.1} MB after {} verifications by {CALLERS} callers",
        rss_mb(),
        CALLERS * BURST
    );
}

async fn timing() {
    let phc = phc().await;
    let (allocating, workers) = (Way::new("allocating"), Way::new("workers"));
    let (mut a, mut w) = (Vec::new(), Vec::new());
    // Interleaved, so that both see the same machine.
    for _ in 0..ROUNDS {
        let t = Instant::now();
        assert!(allocating.verify(&phc).await);
        a.push(t.elapsed());
        let t = Instant::now();
        assert!(workers.verify(&phc).await);
        w.push(t.elapsed());
    }
    println!(
        "argon2id verify, one at a time, mean over {ROUNDS}: allocating {:.1} ms, workers {:.1} ms",
        mean_ms(&a),
        mean_ms(&w)
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if let Ok(name) = std::env::var("HASHER_BENCH_MEMORY") {
        runtime.block_on(memory(&name));
        return;
    }
    runtime.block_on(timing());
    for name in ["allocating", "workers"] {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .env("HASHER_BENCH_MEMORY", name)
            .status()
            .unwrap();
        assert!(status.success());
    }
}
