//! The filter grammar, by example and fuzzed: generated valid filters parse and evaluate;
//! arbitrary text never panics and is either a filter or `scim_invalid_filter`.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::eval::matches;
use super::filter::{CompareOp, Filter, parse_filter, parse_patch_path};
use super::schema::Resource;

fn alice() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "0193a0b4-0000-7000-8000-000000000001",
        "externalId": "AbC-1",
        "userName": "alice@example.com",
        "displayName": "Alice Liddell",
        "active": true,
        "title": "Engineer",
        "name": { "givenName": "Alice", "familyName": "Liddell" },
        "emails": [
            { "value": "alice@example.com", "type": "work", "primary": true },
            { "value": "alice@home.example", "type": "home" }
        ],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "department": "R&D" },
        "meta": { "created": "2026-11-29T09:00:00Z", "lastModified": "2026-11-30T09:00:00Z" }
    })
}

fn hit(filter: &str) -> bool {
    let f = parse_filter(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
    matches(Resource::User, &alice(), &f).unwrap_or_else(|e| panic!("{filter}: {e}"))
}

#[test]
fn every_operator_and_case_rule() {
    for (filter, expected) in [
        (r#"userName eq "ALICE@example.com""#, true),
        (r#"USERNAME Eq "alice@example.com""#, true),
        (r#"externalId eq "abc-1""#, false),
        (r#"externalId eq "AbC-1""#, true),
        (r#"userName ne "bob@example.com""#, true),
        (r#"displayName co "lid""#, true),
        (r#"displayName sw "alice""#, true),
        (r#"displayName ew "DELL""#, true),
        (r#"meta.lastModified gt "2026-11-29T00:00:00Z""#, true),
        (r#"meta.lastModified ge "2026-11-30T09:00:00Z""#, true),
        (r#"meta.created lt "2026-11-29T09:00:00Z""#, false),
        (r#"meta.created le "2026-11-29T09:00:00Z""#, true),
        ("title pr", true),
        ("name.formatted pr", false),
        ("active eq true", true),
        (r#"active eq "True""#, true),
        ("active eq false", false),
        (r#"emails[type eq "work" and value co "example.com"]"#, true),
        (r#"emails[type eq "other"]"#, false),
        (r#"emails co "home.example""#, true),
        (r#"emails.type eq "home""#, true),
        (
            r#"name.givenName eq "alice" and not (title eq "Manager")"#,
            true,
        ),
        (
            r#"(title eq "x" or title eq "engineer") and active eq true"#,
            true,
        ),
        (r#"title eq "x" or title eq "y" and active eq true"#, false),
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "r&d""#,
            true,
        ),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "ali""#,
            true,
        ),
        ("title eq null", false),
    ] {
        assert_eq!(hit(filter), expected, "{filter}");
    }
}

#[test]
fn refusals_are_invalid_filter() {
    for bad in [
        "",
        "userName",
        "userName eq",
        r#"userName eq "unterminated"#,
        r#"userName zz "x""#,
        r#"(userName eq "x""#,
        r#"userName eq "x" and"#,
        r#"emails[type eq "work""#,
        r#"emails[type[value eq "x"]]"#,
        "userName eq bareword",
        r#"not userName eq "x""#,
    ] {
        let err = parse_filter(bad).expect_err(bad);
        assert_eq!(err.code(), "scim_invalid_filter", "{bad}");
    }
    // Parses, but names nothing Gatehouse knows or compares what has no order.
    for bad in [
        r#"shoeSize eq "9""#,
        "active gt true",
        r#"emails[shoe eq "x"]"#,
    ] {
        let f = parse_filter(bad).unwrap();
        let err = matches(Resource::User, &alice(), &f).expect_err(bad);
        assert_eq!(err.code(), "scim_invalid_filter", "{bad}");
    }
}

#[test]
fn patch_paths() {
    let p = parse_patch_path(r#"emails[type eq "work"].value"#).unwrap();
    assert_eq!(p.attr.name, "emails");
    assert_eq!(p.sub.as_deref(), Some("value"));
    assert!(matches!(
        p.filter,
        Some(Filter::Compare {
            op: CompareOp::Eq,
            ..
        })
    ));
    let p = parse_patch_path(
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    )
    .unwrap();
    assert_eq!(p.attr.name, "manager");
    assert_eq!(p.attr.sub.as_deref(), Some("value"));
    for bad in ["", "emails[", "emails[type eq \"w\"].", "9lives", "a b"] {
        assert_eq!(
            parse_patch_path(bad).unwrap_err().code(),
            "scim_invalid_path",
            "{bad}"
        );
    }
}

fn attr_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("userName".to_owned()),
        Just("displayName".to_owned()),
        Just("title".to_owned()),
        Just("externalId".to_owned()),
        Just("name.givenName".to_owned()),
        Just("emails.value".to_owned()),
        Just("meta.created".to_owned()),
    ]
}

fn leaf() -> impl Strategy<Value = String> {
    let op = prop_oneof![
        Just("eq"),
        Just("ne"),
        Just("co"),
        Just("sw"),
        Just("ew"),
        Just("gt"),
        Just("ge"),
        Just("lt"),
        Just("le"),
        Just("EQ")
    ];
    prop_oneof![
        (attr_name(), op, "[a-zA-Z0-9 @.\\\\\"]{0,8}")
            .prop_map(|(a, op, v)| { format!("{a} {op} {}", serde_json::to_string(&v).unwrap()) }),
        attr_name().prop_map(|a| format!("{a} pr")),
        "[a-z]{0,5}".prop_map(|v| format!(r#"emails[type eq "{v}"]"#)),
    ]
}

fn filter_text() -> impl Strategy<Value = String> {
    leaf().prop_recursive(6, 64, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} or {b}")),
            inner.clone().prop_map(|a| format!("not ({a})")),
            inner.prop_map(|a| format!("({a})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn generated_filters_parse_and_evaluate(text in filter_text()) {
        let f = parse_filter(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        matches(Resource::User, &alice(), &f).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,64}") {
        if let Err(e) = parse_filter(&text) {
            prop_assert_eq!(e.code(), "scim_invalid_filter");
        }
        if let Err(e) = parse_patch_path(&text) {
            prop_assert_eq!(e.code(), "scim_invalid_path");
        }
    }

    #[test]
    fn mutated_filters_never_panic(text in filter_text(), cut in 0usize..200, junk in "[\\[\\]()\" a-z]{0,3}") {
        let mut s: String = text.chars().take(cut).collect();
        s.push_str(&junk);
        match parse_filter(&s) {
            Ok(f) => { let _ = matches(Resource::User, &alice(), &f); }
            Err(e) => prop_assert_eq!(e.code(), "scim_invalid_filter"),
        }
    }
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let deep = format!("{}title pr{}", "(".repeat(10_000), ")".repeat(10_000));
    assert_eq!(
        parse_filter(&deep[..4000]).unwrap_err().code(),
        "scim_invalid_filter"
    );
    let nots = "not (".repeat(500) + "title pr" + &")".repeat(500);
    assert_eq!(
        parse_filter(&nots).unwrap_err().code(),
        "scim_invalid_filter"
    );
}
