//! `gatehouse signing-key`: list and rotate, and a running server that picks a rotation up.

use serde_json::Value;

use crate::helpers::{Server, db_args, get, json, postgres_url, run, with};

fn kids(keys: &Value, state: &str) -> Vec<String> {
    keys.as_array()
        .unwrap()
        .iter()
        .filter(|k| k["state"] == state)
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

fn rotate_and_list(base: &[&str]) {
    let none = json(&with(base, &["--json", "signing-key", "list"]));
    assert_eq!(none, Value::Array(vec![]), "no server has started yet");

    // The first rotation makes the keys, then refuses: the next key was published just now.
    let out = run(&with(base, &["--json", "signing-key", "rotate"]));
    assert!(!out.status.success());
    let error: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(error["error"]["code"], "signing_key_too_new", "{error}");
    assert!(
        error["error"]["details"]["retry_after_secs"]
            .as_u64()
            .unwrap()
            > 0
    );
    let made = json(&with(base, &["--json", "signing-key", "list"]));
    assert_eq!(made.as_array().unwrap().len(), 4, "{made}");
    assert_eq!(kids(&made, "active").len(), 2);

    let rotated = json(&with(base, &["--json", "signing-key", "rotate", "--force"]));
    assert_eq!(rotated.as_array().unwrap().len(), 6, "{rotated}");
    assert_eq!(kids(&rotated, "retired"), kids(&made, "active"));
    assert_eq!(kids(&rotated, "active"), kids(&made, "next"));
    for k in rotated.as_array().unwrap() {
        assert!(k.get("private_key").is_none() && k.get("sealed_private_key").is_none());
        if k["state"] == "retired" {
            assert!(k["removable_at"].is_string(), "{k}");
        }
    }

    let out = run(&with(base, &["signing-key", "list"]));
    let table = String::from_utf8_lossy(&out.stdout);
    for word in ["KID", "ALG", "STATE", "ES256", "RS256", "retired", "next"] {
        assert!(table.contains(word), "{word} missing:\n{table}");
    }
}

#[test]
fn signing_keys_rotate_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    rotate_and_list(&db_args(dir.path().to_str().unwrap(), None));
}

#[test]
fn signing_keys_rotate_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    rotate_and_list(&db_args(dir.path().to_str().unwrap(), Some(&url)));
}

#[test]
fn a_running_server_publishes_a_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    json(&[
        "--data-dir",
        data,
        "--json",
        "business",
        "create",
        "--name",
        "Acme",
        "--slug",
        "acme",
    ]);
    let mut server = Server::start_with_env(
        &["--data-dir", data, "serve", "--listen", "127.0.0.1:0"],
        &[("GATEHOUSE__OIDC__KEY_REFRESH_SECONDS", "1")],
    );
    let addr = server.address();
    let (status, body) = get(&addr, "/b/acme/oauth2/jwks", None);
    assert_eq!(status, 200, "{body}");
    let jwks: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 4, "made at start");

    let rotated = json(&[
        "--data-dir",
        data,
        "--json",
        "signing-key",
        "rotate",
        "--force",
    ]);
    let new_next = kids(&rotated, "next");
    let mut published = false;
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let (_, body) = get(&addr, "/b/acme/oauth2/jwks", None);
        if new_next.iter().all(|kid| body.contains(kid.as_str())) {
            published = true;
            break;
        }
    }
    assert!(published, "the server reloaded the keys the CLI rotated");
    server.terminate();
}
