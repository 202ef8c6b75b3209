//! `gatehouse application`: the operator registers, lists, rotates and deletes a business's
//! applications; secrets are printed once; bad addresses fail with the API's error code.

use serde_json::Value;

use crate::helpers::{db_args, json, postgres_url, run, with};

fn applications(base: &[&str]) {
    json(&with(
        base,
        &[
            "--json",
            "business",
            "create",
            "--name",
            "Acme Corp",
            "--slug",
            "acme",
        ],
    ));
    let created = json(&with(
        base,
        &[
            "--json",
            "application",
            "create",
            "--business",
            "acme",
            "--name",
            "Portal",
            "--client-type",
            "confidential",
            "--first-party",
            "--redirect-uri",
            "https://portal.example.com/callback",
            "--redirect-uri",
            "http://localhost:3000/callback",
            "--post-logout-redirect-uri",
            "https://portal.example.com/",
            "--scope",
            "email",
            "--scope",
            "gatehouse:access",
            "--require-mfa",
            "--access-token-ttl-secs",
            "300",
            "--id-token-alg",
            "RS256",
        ],
    ));
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("gcs_"), "{created}");
    assert_eq!(
        created["redirect_uris"][1],
        "http://localhost:3000/callback"
    );
    assert_eq!(
        created["allowed_scopes"],
        serde_json::json!(["openid", "email", "gatehouse:access"])
    );
    assert_eq!(created["access_token_ttl_secs"], 300);
    assert_eq!(created["id_token_signed_response_alg"], "RS256");
    assert_eq!(created["require_mfa"], true);
    let id = created["id"].as_str().unwrap().to_owned();

    let list = json(&with(
        base,
        &["--json", "application", "list", "--business", "acme"],
    ));
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(
        !list.to_string().contains(&secret[4..]),
        "never listed: {list}"
    );

    let rotated = json(&with(
        base,
        &[
            "--json",
            "application",
            "rotate-secret",
            "--business",
            "acme",
            &id,
        ],
    ));
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert!(
        new_secret.starts_with("gcs_") && new_secret != secret,
        "{rotated}"
    );

    // A service with the client credentials grant: the operator may give it any right.
    let service = json(&with(
        base,
        &[
            "--json",
            "application",
            "create",
            "--business",
            "acme",
            "--name",
            "Billing",
            "--client-type",
            "confidential",
            "--grant-type",
            "client_credentials",
            "--service-permissions",
            r#"{"business":["authz.check"]}"#,
        ],
    ));
    assert_eq!(
        service["service_permissions"]["business"][0], "authz.check",
        "{service}"
    );
    let keys = json(&with(
        base,
        &["--json", "api-key", "list", "--business", "acme"],
    ));
    assert_eq!(
        keys,
        Value::Array(vec![]),
        "the service's key is not listed"
    );

    // Bad input fails with the API's code and field.
    let out = run(&with(
        base,
        &[
            "--json",
            "application",
            "create",
            "--business",
            "acme",
            "--name",
            "Bad",
            "--client-type",
            "public",
            "--redirect-uri",
            "http://portal.example.com/callback",
        ],
    ));
    assert!(!out.status.success());
    let body: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(body["error"]["code"], "invalid_redirect_uri", "{body}");
    assert_eq!(body["error"]["details"]["field"], "redirect_uris");
    let out = run(&with(
        base,
        &[
            "application",
            "create",
            "--business",
            "acme",
            "--name",
            "Bad",
            "--client-type",
            "public",
            "--grant-type",
            "client_credentials",
        ],
    ));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid_grant_types"));

    // The table names the client id; a secret is printed once, on its own line.
    let out = run(&with(
        base,
        &["application", "rotate-secret", "--business", "acme", &id],
    ));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("CLIENT ID") && text.contains(&id), "{text}");
    assert!(text.contains("client_secret: gcs_"), "{text}");

    json(&with(
        base,
        &["--json", "application", "delete", "--business", "acme", &id],
    ));
    let list = json(&with(
        base,
        &["--json", "application", "list", "--business", "acme"],
    ));
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "only the service is left"
    );
    let out = run(&with(
        base,
        &["application", "delete", "--business", "acme", &id],
    ));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("application_not_found"));
}

#[test]
fn application_commands_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    applications(&db_args(dir.path().to_str().unwrap(), None));
}

#[test]
fn application_commands_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    applications(&db_args(dir.path().to_str().unwrap(), Some(&url)));
}
