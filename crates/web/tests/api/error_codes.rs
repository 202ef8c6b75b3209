//! Every error code the code base can emit is in the registry, which the OpenAPI document
//! publishes (`x-error-codes` of `ErrorDetail.code`), and every registered code is emitted
//! somewhere. The sources are read at test time: the arms of `Error::code`, the literal codes
//! of `Error::invalid` (and of the helpers that forward one), the codes of the name types, and
//! the registry constants the web layer answers with.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The places that pass a code on instead of naming one; their callers' literals are read.
const FORWARDERS: &[&str] = &[
    "crates/core/src/types/names.rs",
    "crates/domain/src/auth/password.rs",
];

#[test]
fn every_emitted_code_is_registered_and_every_registered_code_is_emitted() {
    let registry = registry();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut emitted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut note = |code: String, file: &str| {
        emitted.entry(code).or_default().insert(file.to_owned());
    };
    for file in sources(&root.join("crates")) {
        let rel = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = non_test_part(&std::fs::read_to_string(&file).unwrap());
        for code in literals_after(&text, "invalid(") {
            note(code, &rel);
        }
        if text.contains("Error::invalid(")
            && literals_after(&text, "Error::invalid(").len()
                < text.matches("Error::invalid(").count()
        {
            assert!(
                FORWARDERS.contains(&rel.as_str()),
                "{rel}: Error::invalid with a code that is not a literal; name the code, or \
                 add the file to FORWARDERS and read its callers"
            );
        }
        if rel != "crates/core/src/error.rs" {
            // A pattern (`Error::Invalid { field, .. }`) reads one; a literal without `..`
            // would build one around the scan.
            for built in text.split("Error::Invalid {").skip(1) {
                let fields = &built[..built.find('}').unwrap_or(built.len())];
                assert!(
                    fields.contains(".."),
                    "{rel}: build validation errors with Error::invalid(\"code\", …)"
                );
            }
        }
        for call in text.split("name_type!(").skip(1) {
            let call = &call[..call.find(");").expect("name_type!(…);")];
            note(first_literal(call).unwrap(), &rel);
        }
        if rel == "crates/core/src/error.rs" {
            let start = text
                .find("pub fn code(&self)")
                .expect("Error::code in crates/core/src/error.rs");
            let end = start
                + text[start..]
                    .find("pub fn details")
                    .expect("Error::details after Error::code");
            for code in literals_after(&text[start..end], "=> ") {
                note(code, &rel);
            }
        }
        if rel.starts_with("crates/web/src/") && rel != "crates/web/src/error_codes.rs" {
            for name in text.split("codes::").skip(1) {
                let name: String = name
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                // `ALL` is the table itself, not a code.
                if !name.is_empty() && name != "ALL" {
                    note(name.to_lowercase(), &rel);
                }
            }
        }
    }
    let unregistered: Vec<_> = emitted
        .iter()
        .filter(|(code, _)| !registry.contains_key(*code))
        .collect();
    assert!(
        unregistered.is_empty(),
        "codes emitted but not in crates/web/src/error_codes.rs: {unregistered:?}"
    );
    let unused: Vec<_> = registry
        .keys()
        .filter(|code| !emitted.contains_key(*code))
        .collect();
    assert!(
        unused.is_empty(),
        "registered codes nothing emits: {unused:?}"
    );
    // Sanity: the scan sees each kind of source.
    for code in [
        "user_not_found",
        "invalid_email",
        "invalid_group_name",
        "password_too_short",
        "not_found",
        "invalid_cursor",
    ] {
        assert!(emitted.contains_key(code), "the scan missed {code}");
    }
}

/// `code → status` of `x-error-codes`.
fn registry() -> BTreeMap<String, u64> {
    let doc: serde_json::Value = serde_json::from_str(&gatehouse_web::openapi_json()).unwrap();
    let table = &doc["components"]["schemas"]["ErrorDetail"]["properties"]["code"]["x-error-codes"];
    table
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["code"].as_str().unwrap().to_owned(),
                e["status"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Every `.rs` file under `crates/*/src`, but test modules in files of their own.
fn sources(crates: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = std::fs::read_dir(crates)
        .unwrap()
        .map(|e| e.unwrap().path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                stack.push(path);
            } else if name.ends_with(".rs") && name != "tests.rs" && !name.ends_with("_tests.rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// A file up to its `#[cfg(test)]` module.
fn non_test_part(text: &str) -> String {
    text.split("#[cfg(test)]")
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The string literals that directly follow each `marker` (whitespace between allowed) and
/// are followed by a comma or a closing bracket: the first argument of a call, or an arm.
fn literals_after(text: &str, marker: &str) -> Vec<String> {
    text.match_indices(marker)
        .filter_map(|(i, _)| {
            let rest = text[i + marker.len()..].trim_start();
            let literal = rest.strip_prefix('"')?;
            let end = literal.find('"')?;
            let after = literal[end + 1..].trim_start();
            let is_code = literal[..end]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            (is_code && (after.starts_with(',') || after.starts_with(')')))
                .then(|| literal[..end].to_owned())
        })
        .collect()
}

fn first_literal(text: &str) -> Option<String> {
    let start = text.find('"')? + 1;
    let end = start + text[start..].find('"')?;
    Some(text[start..end].to_owned())
}
