//! Failures are clear, carry the domain's error code and fail the command.

use serde_json::Value;

use crate::helpers::{gatehouse, run};

#[test]
fn errors_are_clear_and_fail_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();

    let out = run(&[
        "--data-dir",
        data,
        "tenant",
        "create",
        "--business",
        "nope",
        "--name",
        "X",
        "--slug",
        "xx",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("business_not_found"), "{stderr}");

    let out = run(&[
        "--data-dir",
        data,
        "--json",
        "business",
        "create",
        "--name",
        "Bad",
        "--slug",
        "Not A Slug",
    ]);
    assert!(!out.status.success());
    let body: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(body["error"]["code"], "invalid_slug", "{body}");
    assert_eq!(body["error"]["details"]["field"], "slug");

    let out = run(&[
        "--data-dir",
        data,
        "api-key",
        "create",
        "--business",
        "acme",
        "--name",
        "x",
    ]);
    assert!(!out.status.success(), "--permissions or --all is required");

    let out = gatehouse(&["--data-dir", data, "business", "list"])
        .env("GATEHOUSE__SERVER__LISTN", "0.0.0.0:1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("listn"),
        "the unknown key is named: {stderr}"
    );

    let config = dir.path().join("gatehouse.toml");
    std::fs::write(&config, "[database]\nurll = \"sqlite://x.db\"\n").unwrap();
    let out = run(&["--config", config.to_str().unwrap(), "business", "list"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("urll"), "{stderr}");

    let out = run(&["--help"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("api-key"));
}

#[test]
fn sensitive_grants_need_acknowledging() {
    let dir = tempfile::tempdir().unwrap();
    let base = ["--data-dir", dir.path().to_str().unwrap()];
    let ok = |args: &[&str]| {
        let out = run(&[&base[..], args].concat());
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ok(&["business", "create", "--name", "Acme", "--slug", "acme"]);
    let group = [
        "group",
        "create",
        "--business",
        "acme",
        "--name",
        "Exporters",
        "--type",
        "business",
    ];
    let export = ["--permissions", r#"{"live":["verification.export"]}"#];

    let out = run(&[&base[..], &group, &export].concat());
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("sensitive_grant_unacknowledged"),
        "{stderr}"
    );

    ok(&[&group[..], &export, &["--acknowledge-sensitive"]].concat());
    let key = [
        "api-key",
        "create",
        "--business",
        "acme",
        "--name",
        "exporter",
        "--permissions",
        r#"{"live":["verification.export"]}"#,
    ];
    assert!(!run(&[&base[..], &key].concat()).status.success());
    ok(&[&key[..], &["--acknowledge-sensitive"]].concat());
}
