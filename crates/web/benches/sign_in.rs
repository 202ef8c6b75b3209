//! Sign-in cost and throughput, with the real argon2id parameters (19 MiB, t=2, p=1):
//!
//! 1. bare argon2id verification, one at a time (the floor);
//! 2. `Gatehouse::sign_in` through the service, one at a time (goal: within 10% of 1);
//! 3. sustained sign-ins per second over HTTP from 8 concurrent clients for a fixed time,
//!    while another client keeps asking `/api/v1/authz/check` (a steady ~500/s) and its
//!    latency is recorded (goal: at least 60 sign-ins/s on 2 cores, checks still answering).
//!
//! `cargo bench -p gatehouse-web --bench sign_in` (SQLite; set GATEHOUSE_TEST_POSTGRES_URL
//! to run on PostgreSQL too). Prints figures; asserts nothing about time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

#[path = "common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use gatehouse_domain::audit::RequestContext;
use gatehouse_domain::auth::AuthConfig;
use gatehouse_domain::principal::Principal;
use gatehouse_domain::types::{Slug, TenantName};
use gatehouse_store::testing::Unavailable;
use gatehouse_web::testing::{TestDatabase, TestServer};

const PASSWORD: &str = "violet kettle marches north";
const ROUNDS: usize = 40;
const LOAD_SECONDS: u64 = 10;
const CLIENTS: usize = 8;

struct World {
    server: TestServer,
    checker: String,
    user: String,
    tenant: String,
}

async fn world(db: TestDatabase) -> World {
    let server = TestServer::builder()
        .database(Arc::new(db))
        .wall_clock()
        .auth(|config| {
            // The real argon2id parameters, and nothing to stop the load.
            config.argon2 = AuthConfig::default().argon2;
            config.rate_limit.sign_in = u32::MAX;
            config.lockout.throttle_after = u32::MAX;
        })
        .start()
        .await
        .unwrap();
    let (b, user) = common::business_with_dana(&server, "Bench", "bench", PASSWORD).await;
    let op = Principal::Operator.operator().unwrap();
    let t = server
        .gh
        .create_tenant(
            &op,
            &RequestContext::default(),
            b.id,
            TenantName::parse("eu").unwrap(),
            Slug::parse("eu").unwrap(),
        )
        .await
        .unwrap();
    let checker = common::api_key(&server, &b, "authz.check").await;
    World {
        server,
        checker,
        user: user.id.to_string(),
        tenant: t.id.to_string(),
    }
}

fn mean_ms(samples: &[Duration]) -> f64 {
    samples.iter().map(Duration::as_secs_f64).sum::<f64>() * 1000.0 / samples.len() as f64
}

async fn run(label: &str, db: TestDatabase) {
    let w = world(db).await;
    let ctx = RequestContext {
        client_ip: Some("127.0.0.1".into()),
        ..Default::default()
    };
    let phc = w
        .server
        .gh
        .password_hasher()
        .hash(PASSWORD, [1; 16])
        .await
        .unwrap();

    // 1 and 2, interleaved so both see the same machine state.
    let (mut bare, mut service) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let t = Instant::now();
        assert!(
            w.server
                .gh
                .password_hasher()
                .verify(PASSWORD, Some(&phc))
                .await
                .unwrap()
        );
        bare.push(t.elapsed());
        let t = Instant::now();
        w.server
            .gh
            .sign_in(&ctx, "bench", "dana@example.com", PASSWORD)
            .await
            .unwrap();
        service.push(t.elapsed());
    }
    let (b, s) = (mean_ms(&bare), mean_ms(&service));
    println!("[{label}] bare argon2id verify: {b:.1} ms mean over {ROUNDS}");
    println!(
        "[{label}] sign_in (service):    {s:.1} ms mean over {ROUNDS}  ({:+.1}% over bare)",
        (s / b - 1.0) * 100.0
    );

    // 3: sustained sign-ins over HTTP while checks keep being answered.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(format!("{}/b/bench/sign-in", w.server.base))
        .send()
        .await
        .unwrap();
    let cookie = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = html[at..at + html[at..].find('"').unwrap()].to_owned();
    let deadline = Instant::now() + Duration::from_secs(LOAD_SECONDS);
    let mut workers = Vec::new();
    for _ in 0..CLIENTS {
        let (client, base, cookie, csrf) = (
            client.clone(),
            w.server.base.clone(),
            cookie.clone(),
            csrf.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut ok = 0u64;
            while Instant::now() < deadline {
                let res = client
                    .post(format!("{base}/b/bench/sign-in"))
                    .header("cookie", &cookie)
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("email", "dana@example.com"),
                        ("password", PASSWORD),
                    ])
                    .send()
                    .await
                    .unwrap();
                if res.status() == reqwest::StatusCode::SEE_OTHER {
                    ok += 1;
                }
            }
            ok
        }));
    }
    let checks = {
        let (client, base, key, user, tenant) = (
            client.clone(),
            w.server.base.clone(),
            w.checker.clone(),
            w.user.clone(),
            w.tenant.clone(),
        );
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let res = client
                    .post(format!("{base}/api/v1/authz/check"))
                    .bearer_auth(&key)
                    .json(&serde_json::json!({ "user_id": user, "permission": "analytics", "tenant_id": tenant, "environment": "live" }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), reqwest::StatusCode::OK);
                latencies.push(t.elapsed());
                // A steady stream (about 500/s), as dashboards ask: not a flood that would
                // itself take a core from the sign-ins.
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            latencies
        })
    };
    let mut signed_in = 0;
    for w in workers {
        signed_in += w.await.unwrap();
    }
    let mut latencies = checks.await.unwrap();
    println!(
        "[{label}] sustained over HTTP, {CLIENTS} clients, {LOAD_SECONDS} s: {:.1} sign-ins/s; meanwhile {} checks, p50 {:.2} ms, p99 {:.2} ms",
        signed_in as f64 / LOAD_SECONDS as f64,
        latencies.len(),
        common::percentile_ms(&mut latencies, 0.5),
        common::percentile_ms(&mut latencies, 0.99),
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        run("SQLite", TestDatabase::sqlite().await.unwrap()).await;
        match TestDatabase::postgres().await {
            Ok(db) => run("PostgreSQL", db).await,
            Err(Unavailable::Skipped) => {
                println!("PostgreSQL skipped: set GATEHOUSE_TEST_POSTGRES_URL")
            }
            Err(Unavailable::Failed(e)) => panic!("{e}"),
        }
    });
}
