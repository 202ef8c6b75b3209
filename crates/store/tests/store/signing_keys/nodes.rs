//! Several nodes on one database: starting at once they make one key of each kind between
//! them; rotating at once they rotate once; a rotation on one reaches the others.

use std::sync::Arc;

use gatehouse_domain::oidc::SigningKeyStore;
use gatehouse_domain::oidc::{SigningAlg, SigningKeyState};
use serde_json::{Value, json};
use time::Duration;
use tokio::sync::Barrier;

use super::{kid_of, node};
use crate::harness::Env;

crate::backend_tests!(
    nodes_starting_at_once_make_one_key_of_each,
    nodes_rotating_at_once_rotate_once,
    a_rotation_reaches_the_other_nodes,
);

const NODES: usize = 4;

async fn nodes_starting_at_once_make_one_key_of_each(env: Env) {
    let mut nodes = Vec::new();
    for _ in 0..NODES {
        nodes.push(node(&env, [5; 32]).await);
    }
    let barrier = Arc::new(Barrier::new(NODES));
    let tasks: Vec<_> = nodes
        .iter()
        .map(|gh| {
            let (gh, barrier) = (gh.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                gh.load_signing_keys().await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let stored = env.db.store.list_signing_keys().await.unwrap();
    assert_eq!(stored.len(), 4, "{stored:?}");
    for alg in SigningAlg::ALL {
        for state in [SigningKeyState::Active, SigningKeyState::Next] {
            let n = stored
                .iter()
                .filter(|k| k.alg == alg && k.state() == state)
                .count();
            assert_eq!(n, 1, "{alg} {state:?}");
        }
    }
    // Every node holds the same keys: a token of one verifies on all.
    let jwks = nodes[0].jwks_json();
    for gh in &nodes {
        assert_eq!(gh.jwks_json(), jwks);
        let token = gh
            .sign_jwt(SigningAlg::Rs256, "JWT", &json!({"sub": "x"}))
            .unwrap();
        for other in &nodes {
            assert!(other.verify_jwt::<Value>(&token, &["JWT"]).is_ok());
        }
    }
}

async fn nodes_rotating_at_once_rotate_once(env: Env) {
    let mut nodes = Vec::new();
    for _ in 0..NODES {
        let gh = node(&env, [5; 32]).await;
        gh.load_signing_keys().await.unwrap();
        nodes.push(gh);
    }
    env.clock.advance(Duration::hours(1));
    let barrier = Arc::new(Barrier::new(NODES));
    let tasks: Vec<_> = nodes
        .iter()
        .map(|gh| {
            let (gh, barrier, op, ctx) =
                (gh.clone(), barrier.clone(), env.op.clone(), env.ctx.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                gh.rotate_signing_keys(&op, &ctx, false).await
            })
        })
        .collect();
    let mut rotated = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => rotated += 1,
            // The others find a next key made a moment ago: not forced, they stop.
            Err(e) => assert_eq!(e.code(), "signing_key_too_new", "{e}"),
        }
    }
    assert_eq!(rotated, 1);
    let stored = env.db.store.list_signing_keys().await.unwrap();
    assert_eq!(stored.len(), 6, "{stored:?}");
    for alg in SigningAlg::ALL {
        for state in [
            SigningKeyState::Active,
            SigningKeyState::Next,
            SigningKeyState::Retired,
        ] {
            let n = stored
                .iter()
                .filter(|k| k.alg == alg && k.state() == state)
                .count();
            assert_eq!(n, 1, "{alg} {state:?}");
        }
    }
}

async fn a_rotation_reaches_the_other_nodes(env: Env) {
    let a = node(&env, [5; 32]).await;
    let b = node(&env, [5; 32]).await;
    a.load_signing_keys().await.unwrap();
    b.load_signing_keys().await.unwrap();
    env.clock.advance(Duration::hours(1));
    // Two forced rotations on A: its active key is one B has never seen.
    a.rotate_signing_keys(&env.op, &env.ctx, true)
        .await
        .unwrap();
    a.rotate_signing_keys(&env.op, &env.ctx, true)
        .await
        .unwrap();
    let token = a
        .sign_jwt(SigningAlg::Es256, "JWT", &json!({"sub": "x"}))
        .unwrap();
    assert!(!b.jwks_json().contains(&kid_of(&token)));
    // B refuses it at first, and reloads in the background because of the unknown kid …
    assert!(b.verify_jwt::<Value>(&token, &["JWT"]).is_err());
    let mut accepted = false;
    for _ in 0..200 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        if b.verify_jwt::<Value>(&token, &["JWT"]).is_ok() {
            accepted = true;
            break;
        }
    }
    assert!(accepted, "the unknown kid made B reload");
    assert!(b.jwks_json().contains(&kid_of(&token)));
    // … and signs with the new active key from then on.
    let from_b = b
        .sign_jwt(SigningAlg::Es256, "JWT", &json!({"sub": "x"}))
        .unwrap();
    assert_eq!(kid_of(&from_b), kid_of(&token));
}
