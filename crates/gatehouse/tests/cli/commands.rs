//! The operator's resource commands, end to end, on both backends.

use std::path::Path;

use crate::helpers::{db_args, json, postgres_url, run, with};

/// The operator's round trip through every resource command.
fn administer(base: &[&str]) {
    let business = json(&with(
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
    assert_eq!(business["slug"], "acme");
    let business_id = business["id"].as_str().unwrap().to_owned();

    let tenant = json(&with(
        base,
        &[
            "--json",
            "tenant",
            "create",
            "--business",
            "acme",
            "--name",
            "United Kingdom",
            "--slug",
            "uk",
        ],
    ));
    assert_eq!(tenant["business_id"].as_str(), Some(business_id.as_str()));
    let tenants = json(&with(
        base,
        &["--json", "tenant", "list", "--business", &business_id],
    ));
    assert_eq!(
        tenants.as_array().unwrap().len(),
        1,
        "found by id as well as by slug"
    );

    let created = json(&with(
        base,
        &[
            "--json",
            "api-key",
            "create",
            "--business",
            "acme",
            "--name",
            "ci",
            "--all",
        ],
    ));
    let token = created["token"].as_str().unwrap();
    assert!(token.starts_with("gth_"), "{token}");
    let key = created.to_string();
    assert!(
        key.contains("\"api_keys.manage\""),
        "--all grants everything: {key}"
    );

    let businesses = json(&with(base, &["--json", "business", "list"]));
    assert!(
        businesses
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["slug"] == "acme"),
        "{businesses}"
    );

    let group = json(&with(
        base,
        &[
            "--json",
            "group",
            "create",
            "--business",
            "acme",
            "--name",
            "UK Analysts",
            "--type",
            "tenants",
            "--tenant",
            "uk",
            "--permissions",
            r#"{"live":["analytics"],"sandbox":["analytics"]}"#,
        ],
    ));
    assert_eq!(group["type"], "tenants");
    assert_eq!(group["tenant_ids"][0], tenant["id"]);

    let user = json(&with(
        base,
        &[
            "--json",
            "user",
            "invite",
            "--business",
            "acme",
            "--email",
            "Dana@Example.com",
            "--name",
            "Dana",
            "--group",
            "uk analysts",
        ],
    ));
    assert_eq!(user["email"], "dana@example.com");
    assert_eq!(user["status"], "pending");
    json(&with(
        base,
        &[
            "--json",
            "user",
            "invite",
            "--business",
            "acme",
            "--email",
            "eve@example.com",
        ],
    ));

    let members = json(&with(
        base,
        &[
            "--json",
            "user",
            "list",
            "--business",
            "acme",
            "--group",
            "UK Analysts",
        ],
    ));
    assert_eq!(members["total"], 1, "{members}");
    assert_eq!(members["items"][0]["email"], "dana@example.com");
    let everyone = json(&with(
        base,
        &[
            "--json",
            "user",
            "list",
            "--business",
            "acme",
            "--status",
            "pending",
        ],
    ));
    assert_eq!(everyone["total"], 2, "{everyone}");
    let groups = json(&with(
        base,
        &["--json", "group", "list", "--business", "acme"],
    ));
    assert_eq!(groups[0]["member_count"], 1, "{groups}");

    let key_id = created["id"].as_str().unwrap();
    let revoked = json(&with(
        base,
        &["--json", "api-key", "revoke", "--business", "acme", key_id],
    ));
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    let keys = json(&with(
        base,
        &["--json", "api-key", "list", "--business", "acme"],
    ));
    assert_eq!(keys.as_array().unwrap().len(), 1);

    // Tables are the default output.
    let out = run(&with(base, &["business", "list"]));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("SLUG") && table.contains("acme"), "{table}");
}

#[test]
fn operator_commands_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    administer(&db_args(data, None));
    assert!(
        Path::new(data).join("gatehouse.db").exists(),
        "the embedded database lives in the data directory"
    );
}

#[test]
fn operator_commands_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    administer(&db_args(dir.path().to_str().unwrap(), Some(&url)));
    assert!(
        !dir.path().join("gatehouse.db").exists(),
        "no SQLite file when a URL is given"
    );
}
