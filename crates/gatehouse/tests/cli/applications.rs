//! `gatehouse application`: the operator registers, lists, rotates and deletes a business's
//! applications; secrets are printed once; bad addresses fail with the API's error code.

use serde_json::{Value, json as j};

use crate::helpers::{db_args, json, postgres_url, run, with};

/// `gatehouse [--json] application <args> --business acme`.
fn application<'a>(base: &[&'a str], as_json: bool, args: &[&'a str]) -> Vec<&'a str> {
    let mut all: Vec<&str> = if as_json { vec!["--json"] } else { vec![] };
    all.push("application");
    all.extend(args);
    all.extend(["--business", "acme"]);
    with(base, &all)
}

/// The standard error of a command that must fail.
fn fails(args: &[&str]) -> String {
    let out = run(args);
    assert!(!out.status.success(), "{args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

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
    let created = json(&application(
        base,
        true,
        &[
            "create",
            "--name=Portal",
            "--client-type=confidential",
            "--first-party",
            "--redirect-uri=https://portal.example.com/callback",
            "--redirect-uri=http://localhost:3000/callback",
            "--post-logout-redirect-uri=https://portal.example.com/",
            "--scope=email",
            "--scope=gatehouse:access",
            "--require-mfa",
            "--access-token-ttl-secs=300",
            "--id-token-alg=RS256",
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
        j!(["openid", "email", "gatehouse:access"])
    );
    assert_eq!(created["access_token_ttl_secs"], 300);
    assert_eq!(created["id_token_signed_response_alg"], "RS256");
    assert_eq!(created["require_mfa"], true);
    let id = created["id"].as_str().unwrap().to_owned();

    let list = json(&application(base, true, &["list"]));
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(
        !list.to_string().contains(&secret[4..]),
        "never listed: {list}"
    );

    let rotated = json(&application(base, true, &["rotate-secret", &id]));
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert!(
        new_secret.starts_with("gcs_") && new_secret != secret,
        "{rotated}"
    );

    // A service with the client credentials grant: the operator may give it any right.
    let service = json(&application(
        base,
        true,
        &[
            "create",
            "--name=Billing",
            "--client-type=confidential",
            "--grant-type=client_credentials",
            r#"--service-permissions={"business":["authz.check"]}"#,
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
    let stderr = fails(&application(
        base,
        true,
        &[
            "create",
            "--name=Bad",
            "--client-type=public",
            "--redirect-uri=http://portal.example.com/callback",
        ],
    ));
    let body: Value = serde_json::from_str(&stderr).unwrap();
    assert_eq!(body["error"]["code"], "invalid_redirect_uri", "{body}");
    assert_eq!(body["error"]["details"]["field"], "redirect_uris");
    let stderr = fails(&application(
        base,
        false,
        &[
            "create",
            "--name=Bad",
            "--client-type=public",
            "--grant-type=client_credentials",
        ],
    ));
    assert!(stderr.contains("invalid_grant_types"), "{stderr}");

    // The table names the client id; a secret is printed once, on its own line.
    let out = run(&application(base, false, &["rotate-secret", &id]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("CLIENT ID") && text.contains(&id), "{text}");
    assert!(text.contains("client_secret: gcs_"), "{text}");

    json(&application(base, true, &["delete", &id]));
    let list = json(&application(base, true, &["list"]));
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "only the service is left"
    );
    let stderr = fails(&application(base, false, &["delete", &id]));
    assert!(stderr.contains("application_not_found"), "{stderr}");
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
