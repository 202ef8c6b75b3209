//! `gatehouse user import`: a dry run, the real run with the same report, a second run that
//! changes nothing, refused rows with their lines and a failing exit status; on both backends.

use crate::helpers::{db_args, json, postgres_url, run, with};

const FILE: &str = "email,name,groups\n\
ann@example.com,Ann,Analysts\n\
bob@example.com,Bob,\n\
not-an-email,X,\n\
cy@example.com,Cy,Nobody\n";

fn import(base: &[&str]) {
    json(&with(
        base,
        &[
            "--json", "business", "create", "--name", "Acme", "--slug", "acme",
        ],
    ));
    json(&with(
        base,
        &[
            "--json",
            "group",
            "create",
            "--business",
            "acme",
            "--name",
            "Analysts",
            "--type",
            "business",
        ],
    ));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("people.csv");
    std::fs::write(&file, FILE).unwrap();
    let file = file.to_str().unwrap();

    let args = |dry: bool| {
        let mut a = with(
            base,
            &["--json", "user", "import", file, "--business", "acme"],
        );
        if dry {
            a.push("--dry-run");
        }
        a
    };
    let report = |dry: bool| {
        let out = run(&args(dry));
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success(),
            "refused rows fail the command: {stderr}"
        );
        assert!(stderr.contains("2 row(s) refused"), "{stderr}");
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let dry = report(true);
    let listed = json(&with(
        base,
        &["--json", "user", "list", "--business", "acme"],
    ));
    assert_eq!(listed["total"], 0, "a dry run writes nothing");
    let real = report(false);
    assert_eq!(
        dry["rows"], real["rows"],
        "the dry run reports what the run does"
    );
    let lines: Vec<(u64, &str)> = real["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        lines,
        [(2, "create"), (3, "create"), (4, "error"), (5, "error")]
    );
    assert_eq!(real["rows"][3]["error"]["code"], "group_not_found");
    let listed = json(&with(
        base,
        &["--json", "user", "list", "--business", "acme"],
    ));
    assert_eq!(listed["total"], 2, "{listed}");
    assert_eq!(listed["items"][0]["groups"][0]["name"], "Analysts");

    // The same file again: only skips (and the same refusals).
    let again = report(false);
    assert_eq!(again["counts"]["created"], 0);
    assert_eq!(again["counts"]["updated"], 0);
    assert_eq!(again["counts"]["skipped"], 2);
    let after = json(&with(
        base,
        &["--json", "user", "list", "--business", "acme"],
    ));
    assert_eq!(after, listed, "a second run changes nothing");

    // A clean file succeeds, and the table shows what changed.
    let table = |name: &str, contents: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        let path = path.to_str().unwrap().to_owned();
        run(&with(
            base,
            &["user", "import", &path, "--business", "acme"],
        ))
    };
    let out = table(
        "more.jsonl",
        "{\"email\":\"dee@example.com\",\"name\":\"Dee\"}\n",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("dee@example.com") && stdout.contains("create"),
        "{stdout}"
    );
    // An unreadable file is an error with its code.
    let out = table("bad.csv", "name\nAnn\n");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid_import_file"), "{stderr}");
}

#[test]
fn user_import_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    import(&db_args(data.to_str().unwrap(), None));
}

#[test]
fn user_import_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    import(&db_args(dir.path().to_str().unwrap(), Some(&url)));
}
