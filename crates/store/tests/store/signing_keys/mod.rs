//! The signing keys: made once, used from memory, rotated with overlap, deleted after their
//! tokens have expired; and what the table itself guarantees.

mod nodes;

use std::sync::Arc;

use gatehouse_domain::auth::{AuthConfig, OsEntropy, SecretCipher};
use gatehouse_domain::catalog::Catalog;
use gatehouse_domain::mail::DiscardMailer;
use gatehouse_domain::oidc::SigningKeyStore;
use gatehouse_domain::oidc::{SigningAlg, SigningKeyInfo, SigningKeyState};
use gatehouse_domain::services::AuthSetup;
use gatehouse_domain::store::Store;
use gatehouse_domain::{Gatehouse, ManualClock};
use gatehouse_store::ConnectOptions;
use serde_json::{Value, json};
use time::Duration;

use crate::harness::Env;

crate::backend_tests!(
    keys_are_made_on_first_load_and_sign_from_memory,
    rotation_overlaps_then_the_old_key_goes,
    rotation_waits_until_the_next_key_is_published_long_enough,
    private_keys_are_sealed_and_bound_to_their_kid,
    the_table_keeps_one_next_and_one_active_key_per_algorithm,
);

/// A node on the same database as `env`, with the cipher key `key` and `env`'s clock.
pub(crate) async fn node(env: &Env, key: [u8; 32]) -> Gatehouse {
    let store = gatehouse_store::connect(&ConnectOptions::new(env.db.url.clone()))
        .await
        .unwrap();
    Gatehouse::new(store, env.clock.clone(), Arc::new(Catalog::default()))
        .with_auth(AuthSetup {
            config: AuthConfig::default(),
            cipher: SecretCipher::new((1, key), &[]),
            entropy: Arc::new(OsEntropy),
            mailer: Arc::new(DiscardMailer),
        })
        .unwrap()
}

fn claims(clock: &ManualClock) -> Value {
    use gatehouse_domain::Clock;
    json!({"iss": "https://id.example.com/b/acme", "sub": "u1", "iat": clock.now().unix_timestamp()})
}

fn of(keys: &[SigningKeyInfo], alg: SigningAlg, state: SigningKeyState) -> Vec<String> {
    keys.iter()
        .filter(|k| k.alg == alg && k.state == state)
        .map(|k| k.kid.clone())
        .collect()
}

fn jwks_kids(gh: &Gatehouse) -> Vec<String> {
    let jwks: Value = serde_json::from_str(&gh.jwks_json()).unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// The kid in a token's header.
pub(crate) fn kid_of(token: &str) -> String {
    use data_encoding::BASE64URL_NOPAD;
    let header = token.split('.').next().unwrap();
    let header: Value =
        serde_json::from_slice(&BASE64URL_NOPAD.decode(header.as_bytes()).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

async fn keys_are_made_on_first_load_and_sign_from_memory(env: Env) {
    assert!(
        env.gh
            .sign_jwt(SigningAlg::Es256, "JWT", &json!({}))
            .is_err(),
        "nothing loaded, nothing signs"
    );
    env.gh.load_signing_keys().await.unwrap();
    let keys = env.gh.list_signing_keys(&env.op).await.unwrap();
    assert_eq!(keys.len(), 4, "{keys:?}");
    for alg in SigningAlg::ALL {
        assert_eq!(of(&keys, alg, SigningKeyState::Active).len(), 1);
        assert_eq!(of(&keys, alg, SigningKeyState::Next).len(), 1);
    }
    // The next keys are published before they sign; the JWKS has all four.
    let mut published = jwks_kids(&env.gh);
    published.sort();
    let mut all: Vec<String> = keys.iter().map(|k| k.kid.clone()).collect();
    all.sort();
    assert_eq!(published, all);
    for alg in SigningAlg::ALL {
        let token = env.gh.sign_jwt(alg, "JWT", &claims(&env.clock)).unwrap();
        assert_eq!(
            vec![kid_of(&token)],
            of(&keys, alg, SigningKeyState::Active)
        );
        let back: Value = env.gh.verify_jwt(&token, &["JWT"]).unwrap();
        assert_eq!(back["sub"], "u1");
        assert_eq!(
            env.gh
                .verify_jwt::<Value>(&token, &["at+jwt"])
                .unwrap_err()
                .code(),
            "unauthenticated"
        );
    }
    // A second load makes nothing new.
    env.gh.load_signing_keys().await.unwrap();
    assert_eq!(env.gh.list_signing_keys(&env.op).await.unwrap(), keys);
}

async fn rotation_overlaps_then_the_old_key_goes(env: Env) {
    env.gh.load_signing_keys().await.unwrap();
    let before = env.gh.list_signing_keys(&env.op).await.unwrap();
    let old = env
        .gh
        .sign_jwt(SigningAlg::Es256, "JWT", &claims(&env.clock))
        .unwrap();
    let old_rsa = env
        .gh
        .sign_jwt(SigningAlg::Rs256, "at+jwt", &claims(&env.clock))
        .unwrap();
    env.clock.advance(Duration::hours(1));
    let after = env
        .gh
        .rotate_signing_keys(&env.op, &env.ctx, false)
        .await
        .unwrap();
    assert_eq!(after.len(), 6);
    for alg in SigningAlg::ALL {
        assert_eq!(
            of(&after, alg, SigningKeyState::Retired),
            of(&before, alg, SigningKeyState::Active)
        );
        assert_eq!(
            of(&after, alg, SigningKeyState::Active),
            of(&before, alg, SigningKeyState::Next),
            "the published next key signs now"
        );
        assert_eq!(of(&after, alg, SigningKeyState::Next).len(), 1);
    }
    let retired = after
        .iter()
        .find(|k| k.state == SigningKeyState::Retired)
        .unwrap();
    let retention = env.gh.oidc_config().retention();
    assert_eq!(
        retired.removable_at,
        Some(retired.retired_at.unwrap() + retention)
    );
    assert!(retention >= env.gh.oidc_config().max_token_lifetime);
    // New tokens use the new key; the old ones still verify during the overlap.
    let new = env
        .gh
        .sign_jwt(SigningAlg::Es256, "JWT", &claims(&env.clock))
        .unwrap();
    assert_eq!(
        vec![kid_of(&new)],
        of(&after, SigningAlg::Es256, SigningKeyState::Active)
    );
    assert_eq!(jwks_kids(&env.gh).len(), 6);
    env.clock.advance(retention - Duration::seconds(1));
    assert!(env.gh.verify_jwt::<Value>(&old, &["JWT"]).is_ok());
    assert!(env.gh.verify_jwt::<Value>(&old_rsa, &["at+jwt"]).is_ok());
    // At the removal time they stop verifying, on this node before any reload …
    env.clock.advance(Duration::seconds(1));
    assert!(env.gh.verify_jwt::<Value>(&old, &["JWT"]).is_err());
    assert!(env.gh.verify_jwt::<Value>(&old_rsa, &["at+jwt"]).is_err());
    assert!(env.gh.verify_jwt::<Value>(&new, &["JWT"]).is_ok());
    // … and the next reload deletes them and takes them out of the JWKS.
    env.gh.refresh_signing_keys().await.unwrap();
    let left = env.gh.list_signing_keys(&env.op).await.unwrap();
    assert_eq!(left.len(), 4);
    assert!(left.iter().all(|k| k.state != SigningKeyState::Retired));
    assert!(!jwks_kids(&env.gh).contains(&kid_of(&old)));
    assert!(env.gh.verify_jwt::<Value>(&old, &["JWT"]).is_err());
}

async fn rotation_waits_until_the_next_key_is_published_long_enough(env: Env) {
    env.gh.load_signing_keys().await.unwrap();
    let err = env
        .gh
        .rotate_signing_keys(&env.op, &env.ctx, false)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "signing_key_too_new");
    assert_eq!(err.details()["retry_after_secs"], 300);
    assert_eq!(env.gh.list_signing_keys(&env.op).await.unwrap().len(), 4);
    // Forced (a compromised key), it goes at once.
    let forced = env
        .gh
        .rotate_signing_keys(&env.op, &env.ctx, true)
        .await
        .unwrap();
    assert_eq!(forced.len(), 6);
    // The rotation is in the audit trail, with what it did.
    let pool = sqlx::AnyPool::connect(&env.db.url).await.unwrap();
    let rows = sqlx::query(
        "SELECT actor_kind, action, after_state FROM audit_events WHERE action LIKE 'signing_key.%' ORDER BY occurred_at, id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    use sqlx::Row;
    let actions: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
        .collect();
    assert_eq!(
        actions,
        [
            ("system".to_owned(), "signing_key.created".to_owned()),
            ("operator".to_owned(), "signing_key.rotated".to_owned())
        ]
    );
    let after: Value = serde_json::from_str(&rows[1].get::<String, _>(2)).unwrap();
    assert_eq!(after["forced"], true);
    assert_eq!(
        after["ES256"]["activated"].as_str().unwrap(),
        of(&forced, SigningAlg::Es256, SigningKeyState::Active)[0]
    );
    pool.close().await;
}

async fn private_keys_are_sealed_and_bound_to_their_kid(env: Env) {
    let a = node(&env, [1; 32]).await;
    a.load_signing_keys().await.unwrap();
    let stored = env.db.store.list_signing_keys().await.unwrap();
    assert_eq!(stored.len(), 4);
    for k in &stored {
        assert!(
            k.sealed_private_key.starts_with("v1."),
            "sealed by the cipher"
        );
        assert!(!format!("{k:?}").contains(&k.sealed_private_key));
    }
    // A node with another cipher key cannot use them: it fails loudly, it makes no keys.
    let b = node(&env, [2; 32]).await;
    let err = b.load_signing_keys().await.unwrap_err();
    assert_eq!(err.code(), "internal");
    assert!(err.to_string().contains("does not open"), "{err}");
    assert_eq!(env.db.store.list_signing_keys().await.unwrap(), stored);
    // A sealed key moved to another row does not open (its kid is the context).
    let (es, rs) = (
        stored
            .iter()
            .find(|k| k.alg == SigningAlg::Es256 && k.activated_at.is_some())
            .unwrap(),
        stored
            .iter()
            .find(|k| k.alg == SigningAlg::Es256 && k.activated_at.is_none())
            .unwrap(),
    );
    let pool = sqlx::AnyPool::connect(&env.db.url).await.unwrap();
    sqlx::query("UPDATE signing_keys SET private_key = $1 WHERE kid = $2")
        .bind(rs.sealed_private_key.as_str())
        .bind(es.kid.as_str())
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let c = node(&env, [1; 32]).await;
    assert!(c.load_signing_keys().await.is_err());
}

async fn the_table_keeps_one_next_and_one_active_key_per_algorithm(env: Env) {
    env.gh.load_signing_keys().await.unwrap();
    let stored = env.db.store.list_signing_keys().await.unwrap();
    let next = stored
        .iter()
        .find(|k| k.alg == SigningAlg::Rs256 && k.activated_at.is_none())
        .unwrap();
    let active = stored
        .iter()
        .find(|k| k.alg == SigningAlg::Rs256 && k.activated_at.is_some())
        .unwrap();
    let mut tx = env.db.store.begin().await.unwrap();
    // Another next, another active, the same kid again: each does nothing.
    let mut other = next.clone();
    other.kid = "another".to_owned();
    assert!(!tx.insert_signing_key(&other).await.unwrap());
    other.activated_at = Some(other.created_at);
    assert!(!tx.insert_signing_key(&other).await.unwrap());
    let mut same = active.clone();
    same.activated_at = None;
    same.alg = SigningAlg::Es256;
    assert!(!tx.insert_signing_key(&same).await.unwrap());
    // A state change that expects another state matches nothing.
    let at = active.created_at;
    assert!(!tx.activate_signing_key(&active.kid, at).await.unwrap());
    assert!(
        !tx.retire_signing_key(&next.kid, at, at + Duration::days(1))
            .await
            .unwrap()
    );
    assert!(!tx.activate_signing_key("missing", at).await.unwrap());
    drop(tx);
    assert_eq!(env.db.store.list_signing_keys().await.unwrap(), stored);
}
