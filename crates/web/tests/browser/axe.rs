//! axe-core, the accessibility checker, run on every page the suite screenshots. Its code is
//! not part of the repository: `.ci/run` installs the pinned npm package into
//! `target/npm/` (or `AXE_CORE_JS` names the file) and the test injects it into the page.
//! Without it the check is skipped with a notice, except under `CI=true`.

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;

use crate::driver::Browser;

/// The version `.ci/run` installs.
pub const AXE_VERSION: &str = "4.14.1";

fn source() -> Option<&'static str> {
    static SOURCE: OnceLock<Option<String>> = OnceLock::new();
    SOURCE
        .get_or_init(|| {
            let path = std::env::var("AXE_CORE_JS")
                .ok()
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                        .join("../../target/npm/node_modules/axe-core/axe.min.js")
                });
            match std::fs::read_to_string(&path) {
                Ok(s) => Some(s),
                Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => panic!(
                    "CI=true but axe-core is missing at {} (npm install --no-save --prefix target/npm axe-core@{AXE_VERSION})",
                    path.display()
                ),
                Err(_) => {
                    eprintln!(
                        "notice: axe-core not found at {} (npm install --no-save --prefix target/npm axe-core@{AXE_VERSION}); skipping accessibility checks",
                        path.display()
                    );
                    None
                }
            }
        })
        .as_deref()
}

/// Runs axe on the page as it is and fails on any violation, naming rule, impact and the
/// offending elements.
pub async fn check(b: &Browser, page: &str) {
    let Some(axe) = source() else {
        return;
    };
    let loaded = b
        .client
        .execute(&format!("{axe}\n;return typeof window.axe;"), vec![])
        .await
        .unwrap();
    assert_eq!(loaded, "object", "axe-core did not load on {page}");
    let result = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations.map(v => ({
                   id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)
               }))))
               .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));",
            vec![],
        )
        .await
        .unwrap();
    let violations = match result {
        Value::Array(v) => v,
        other => panic!("axe on {page}: {other}"),
    };
    assert!(
        violations.is_empty(),
        "axe found {} violation(s) on {page}:\n{}",
        violations.len(),
        serde_json::to_string_pretty(&violations).unwrap()
    );
}
