//! The OpenID Provider's public documents over HTTP on loopback: the JWKS and the discovery
//! document of a business, as a client fetches them (one request at a time on a kept-alive
//! connection, and 64 at once). Both are served from memory.
//!
//! `cargo bench -p gatehouse-web --bench oidc_documents` (SQLite). Prints criterion's
//! figures; asserts nothing about time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gatehouse_domain::audit::RequestContext;
use gatehouse_domain::auth::{AuthConfig, OsEntropy, SecretCipher};
use gatehouse_domain::catalog::Catalog;
use gatehouse_domain::mail::DiscardMailer;
use gatehouse_domain::principal::Principal;
use gatehouse_domain::services::AuthSetup;
use gatehouse_domain::types::{BusinessName, Slug};
use gatehouse_domain::{Gatehouse, SystemClock};
use gatehouse_store::testing::TestDatabase;
use gatehouse_web::{AppState, OperatorToken, WebConfig};

/// A served node with the business `acme`; its base URL.
async fn serve(db: &TestDatabase) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let gh = Gatehouse::new(
        db.store.clone(),
        Arc::new(SystemClock),
        Arc::new(Catalog::default()),
    )
    .with_auth(AuthSetup {
        config: AuthConfig {
            public_url: base.clone(),
            ..AuthConfig::default()
        },
        cipher: SecretCipher::new((1, [3; 32]), &[]),
        entropy: Arc::new(OsEntropy),
        mailer: Arc::new(DiscardMailer),
    })
    .unwrap();
    let op = Principal::Operator.operator().unwrap();
    gh.create_business(
        &op,
        &RequestContext::default(),
        BusinessName::parse("Acme").unwrap(),
        Slug::parse("acme").unwrap(),
    )
    .await
    .unwrap();
    gh.load_signing_keys().await.unwrap();
    let web = WebConfig::default();
    let state = AppState::new(
        gh,
        OperatorToken::from_token("gho_bench-operator-token-0000000000000"),
        web.clone(),
    );
    tokio::spawn(async move {
        gatehouse_web::serve_with(
            listener,
            gatehouse_web::app(state),
            &web,
            std::future::pending(),
        )
        .await
    });
    base
}

fn documents(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime.block_on(TestDatabase::sqlite()).unwrap();
    let base = runtime.block_on(serve(&db));
    let client = reqwest::Client::new();
    let get = |path: String| {
        let client = client.clone();
        async move {
            let response = client.get(path).send().await.unwrap();
            assert!(response.status().is_success());
            response.bytes().await.unwrap()
        }
    };
    for (name, path) in [
        ("jwks", "/b/acme/oauth2/jwks"),
        ("discovery", "/b/acme/.well-known/openid-configuration"),
    ] {
        let url = format!("{base}{path}");
        c.bench_function(&format!("{name}: one request"), |b| {
            b.to_async(&runtime).iter(|| get(url.clone()))
        });
        let mut group = c.benchmark_group(format!("{name}: 64 at once"));
        group.throughput(Throughput::Elements(64));
        group.bench_function("requests", |b| {
            b.to_async(&runtime).iter(|| async {
                let all: Vec<_> = (0..64).map(|_| tokio::spawn(get(url.clone()))).collect();
                for r in all {
                    r.await.unwrap();
                }
            })
        });
        group.finish();
    }
}

criterion_group!(benches, documents);
criterion_main!(benches);
