//! The token endpoint under load, password hashing excluded: one signed-in browser session
//! and its authorization codes are made up front, then only `POST /oauth2/token` is timed.
//!
//! 1. code exchange (`authorization_code` with PKCE, ID + access + refresh token issued):
//!    a batch of codes is made, then exchanged by `CLIENTS` concurrent clients;
//! 2. refresh (`refresh_token`, rotated): each client follows its own refresh chain for
//!    `LOAD_SECONDS`.
//!
//! Goals (issue 9): refresh ≥ 2,000/s, code exchange ≥ 1,000/s on 2 cores.
//!
//! `cargo bench -p gatehouse-web --bench oidc_tokens` (SQLite; set
//! GATEHOUSE_TEST_POSTGRES_URL to run on PostgreSQL too). Prints figures with p50/p99;
//! asserts nothing about time.

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

use gatehouse_store::testing::Unavailable;
use gatehouse_web::testing::{TestDatabase, TestServer};
use openidconnect::PkceCodeChallenge;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "violet kettle marches north";
const CB: &str = "http://127.0.0.1:9/callback";
const CODES_PER_ROUND: usize = 2000;
const ROUNDS: usize = 3;
const LOAD_SECONDS: u64 = 10;
const CLIENTS: usize = 16;

struct World {
    server: TestServer,
    client_id: String,
    secret: String,
    /// The signed-in browser's cookies.
    cookie: String,
}

fn cookies_of(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect()
}

async fn world(db: TestDatabase) -> World {
    let server = TestServer::builder()
        .database(Arc::new(db))
        .wall_clock()
        .auth(|config| {
            config.rate_limit.sign_in = u32::MAX;
        })
        .start()
        .await
        .unwrap();
    let (business, _) = common::business_with_dana(&server, "Acme", "acme", PASSWORD).await;
    let admin = common::api_key(&server, &business, "applications.manage").await;
    let http = client();
    let created: Value = http
        .post(format!("{}/api/v1/applications", server.base))
        .bearer_auth(&admin)
        .json(&json!({
            "name": "Portal", "client_type": "confidential", "first_party": true,
            "redirect_uris": [CB], "allowed_scopes": ["openid", "email", "offline_access"],
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = created["client_id"].as_str().expect("client_id").to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();

    // Sign in once (the only password hash).
    let page = http
        .get(format!("{}/b/acme/sign-in", server.base))
        .send()
        .await
        .unwrap();
    let mut jar = cookies_of(&page);
    let html = page.text().await.unwrap();
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = html[at..at + html[at..].find('"').unwrap()].to_owned();
    let res = http
        .post(format!("{}/b/acme/sign-in", server.base))
        .header("cookie", jar.join("; "))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "dana@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    for c in cookies_of(&res) {
        let name = c.split('=').next().unwrap().to_owned();
        jar.retain(|old| !old.starts_with(&format!("{name}=")));
        jar.push(c);
    }
    World {
        server,
        client_id,
        secret,
        cookie: jar.join("; "),
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `n` fresh codes for the signed-in session (made several at a time; not timed).
async fn codes(w: &World, n: usize, challenge: &str) -> Vec<String> {
    let url = format!(
        "{}/b/acme/oauth2/authorize?client_id={}&response_type=code&scope=openid%20offline_access&redirect_uri={}&code_challenge={challenge}&code_challenge_method=S256",
        w.server.base,
        w.client_id,
        url::form_urlencoded::byte_serialize(CB.as_bytes()).collect::<String>(),
    );
    let http = client();
    let mut all = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(CLIENTS) {
        let tasks: Vec<_> = chunk
            .iter()
            .map(|_| {
                let (http, url, cookie) = (http.clone(), url.clone(), w.cookie.clone());
                tokio::spawn(async move {
                    let res = http.get(url).header("cookie", cookie).send().await.unwrap();
                    assert_eq!(res.status(), StatusCode::SEE_OTHER);
                    let to = res.headers()["location"].to_str().unwrap().to_owned();
                    url::Url::parse(&to)
                        .unwrap()
                        .query_pairs()
                        .find(|(k, _)| k == "code")
                        .unwrap_or_else(|| panic!("no code in {to}"))
                        .1
                        .into_owned()
                })
            })
            .collect();
        for t in tasks {
            all.push(t.await.unwrap());
        }
    }
    all
}

/// One timed token request; its JSON answer, or `None` (printed) when refused.
async fn token(
    http: &reqwest::Client,
    w: &(String, String, String),
    form: &[(&str, &str)],
) -> Option<Value> {
    let res = http
        .post(format!("{}/b/acme/oauth2/token", w.0))
        .basic_auth(&w.1, Some(&w.2))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    if status != StatusCode::OK {
        println!(
            "token endpoint answered {status}: {}",
            res.text().await.unwrap()
        );
        return None;
    }
    Some(res.json().await.unwrap())
}

async fn run(label: &str, db: TestDatabase) {
    let w = world(db).await;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let verifier = verifier.secret().clone();
    let target = Arc::new((w.server.base.clone(), w.client_id.clone(), w.secret.clone()));
    let http = client();

    // 1. Code exchange.
    let (mut latencies, mut elapsed, mut refresh_tokens) = (Vec::new(), Duration::ZERO, Vec::new());
    for _ in 0..ROUNDS {
        let batch = codes(&w, CODES_PER_ROUND, challenge.as_str()).await;
        let queue = Arc::new(std::sync::Mutex::new(batch));
        let start = Instant::now();
        let workers: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (http, target, queue, verifier) = (
                    http.clone(),
                    target.clone(),
                    queue.clone(),
                    verifier.clone(),
                );
                tokio::spawn(async move {
                    let mut mine = Vec::new();
                    let mut last = None;
                    loop {
                        let Some(code) = queue.lock().unwrap().pop() else {
                            break;
                        };
                        let t = Instant::now();
                        let got = token(
                            &http,
                            &target,
                            &[
                                ("grant_type", "authorization_code"),
                                ("code", &code),
                                ("redirect_uri", CB),
                                ("code_verifier", &verifier),
                            ],
                        )
                        .await;
                        let Some(got) = got else { continue };
                        mine.push(t.elapsed());
                        last = got["refresh_token"].as_str().map(str::to_owned);
                    }
                    (mine, last)
                })
            })
            .collect();
        for worker in workers {
            let (mine, last) = worker.await.unwrap();
            latencies.extend(mine);
            refresh_tokens.extend(last);
        }
        elapsed += start.elapsed();
    }
    let n = latencies.len();
    println!(
        "[{label}] code exchange, {CLIENTS} clients, {n} codes: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
        n as f64 / elapsed.as_secs_f64(),
        common::percentile_ms(&mut latencies, 0.5),
        common::percentile_ms(&mut latencies, 0.99),
    );

    // 2. Refresh: each of `CLIENTS` clients follows its own rotated chain (every round of
    // the exchange left one refresh token per client; one per client is used).
    refresh_tokens.truncate(CLIENTS);
    let deadline = Instant::now() + Duration::from_secs(LOAD_SECONDS);
    let start = Instant::now();
    let workers: Vec<_> = refresh_tokens
        .into_iter()
        .map(|mut refresh| {
            let (http, target) = (http.clone(), target.clone());
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let got = token(
                        &http,
                        &target,
                        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
                    )
                    .await;
                    // A refused refresh ends this chain (the token is spent).
                    let Some(got) = got else { break };
                    mine.push(t.elapsed());
                    refresh = got["refresh_token"].as_str().unwrap().to_owned();
                }
                mine
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.unwrap());
    }
    let elapsed = start.elapsed();
    let n = latencies.len();
    println!(
        "[{label}] refresh, {CLIENTS} clients, {:.1} s: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
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
