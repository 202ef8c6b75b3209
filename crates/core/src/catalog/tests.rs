//! The catalog's rules: defaults, configured additions, validation of grant sets.

use super::*;

fn key(s: &str) -> PermissionKey {
    PermissionKey::parse(s).unwrap()
}

#[test]
fn default_catalog_matches_the_design() {
    let c = Catalog::default();
    assert_eq!(c.iter().count(), 21);
    assert!(!c.get("reviews.manage").unwrap().sensitive);
    assert!(c.get("webhooks.manage").unwrap().sensitive);
    assert!(c.get("applications.manage").unwrap().sensitive);
    assert!(c.get("scim.provision").unwrap().sensitive);
    assert!(c.get("verification.delete").unwrap().sensitive);
    assert_eq!(
        c.get("users.view").unwrap().scope,
        PermissionScope::Business
    );
    assert!(c.get("nope").is_none());
}

#[test]
fn config_adds_and_relabels() {
    let c = Catalog::with_config(&[
        PermissionConfig {
            key: "cases.review".into(),
            label: Some("Review cases".into()),
            description: None,
            scope: Some(PermissionScope::Environment),
            sensitive: Some(true),
        },
        PermissionConfig {
            key: "analytics".into(),
            label: None,
            description: None,
            scope: None,
            sensitive: Some(true),
        },
    ])
    .unwrap();
    assert!(c.get("cases.review").unwrap().sensitive);
    assert!(c.get("analytics").unwrap().sensitive);
    let bad = PermissionConfig {
        key: "analytics".into(),
        label: None,
        description: None,
        scope: Some(PermissionScope::Business),
        sensitive: None,
    };
    assert!(matches!(
        Catalog::with_config(&[bad]),
        Err(CatalogError::ScopeChange(_))
    ));
    let incomplete = PermissionConfig {
        key: "x.y".into(),
        label: None,
        description: None,
        scope: None,
        sensitive: None,
    };
    assert!(matches!(
        Catalog::with_config(&[incomplete]),
        Err(CatalogError::Incomplete(_))
    ));
}

#[test]
fn validate_checks_scope_and_existence() {
    let c = Catalog::default();
    let mut g = Grants::default();
    g.live.insert(key("verification.view"));
    g.business.insert(key("users.view"));
    c.validate(&g).unwrap();
    g.live.insert(key("users.manage"));
    assert_eq!(
        c.validate(&g).unwrap_err().code(),
        "permission_scope_mismatch"
    );
    let mut g = Grants::default();
    g.sandbox.insert(key("made.up"));
    assert_eq!(c.validate(&g).unwrap_err().code(), "unknown_permission");
}
