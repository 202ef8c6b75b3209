//! Starting a review: what each scope covers, who reviews each item, and what is refused.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Setup, days_ahead, id};
use crate::helpers::{App, assert_error};

crate::backend_tests!(
    each_scope_covers_its_groups_memberships,
    owners_review_their_groups_and_never_themselves,
    bad_starts_are_refused_without_a_trace,
);

/// `group/email` of each item, sorted.
fn pairs(detail: &Value) -> Vec<String> {
    let mut p: Vec<String> = detail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{}/{}",
                i["group_name"].as_str().unwrap(),
                i["email"].as_str().unwrap()
            )
        })
        .collect();
    p.sort();
    p
}

async fn each_scope_covers_its_groups_memberships(app: App) {
    let s = Setup::new(&app).await;
    let live = s
        .group(&app, "Live ops", json!({ "live": ["analytics"] }))
        .await;
    let sandbox = s
        .group(&app, "Sandbox viewers", json!({ "sandbox": ["analytics"] }))
        .await;
    let exporters = s
        .group(
            &app,
            "Exporters",
            json!({ "sandbox": ["verification.export"] }),
        )
        .await;
    s.group(&app, "Empty", json!({ "live": ["analytics"] }))
        .await;
    s.member(&app, "ann@acme.com", &[&live, &sandbox]).await;
    s.member(&app, "bob@acme.com", &[&exporters]).await;
    s.member(&app, "cy@acme.com", &[&sandbox]).await;
    let rev = s.member(&app, "rev@acme.com", &[]).await;
    let reviewers = json!({ "user_ids": [rev["id"]] });
    let due = days_ahead(&app, 14);

    let all = s
        .started(&app, json!({ "name": "All", "scope": { "kind": "all" }, "reviewers": reviewers, "due_at": due }))
        .await;
    assert_eq!(all["state"], "open");
    assert_eq!(all["items_total"], 4, "{all}");
    let d = s.detail(&app, &all).await;
    assert_eq!(
        pairs(&d),
        [
            "Exporters/bob@acme.com",
            "Live ops/ann@acme.com",
            "Sandbox viewers/ann@acme.com",
            "Sandbox viewers/cy@acme.com",
        ]
    );
    let item = &d["items"][0];
    assert_eq!(item["reviewer_ids"], json!([rev["id"]]));
    assert_eq!(
        item["permissions"]["sandbox"],
        json!(["verification.export"])
    );
    assert_eq!(item["last_sign_in"], Value::Null, "never signed in");
    assert_eq!(item["decision"], Value::Null);

    let sensitive = s
        .started(&app, json!({ "name": "Sensitive", "scope": { "kind": "sensitive_or_live" }, "reviewers": reviewers, "due_at": due }))
        .await;
    assert_eq!(
        pairs(&s.detail(&app, &sensitive).await),
        ["Exporters/bob@acme.com", "Live ops/ann@acme.com",],
        "Live and sensitive grants only"
    );

    let chosen = s
        .started(&app, json!({ "name": "Sandbox", "scope": { "kind": "groups", "group_ids": [sandbox] }, "reviewers": reviewers, "due_at": due }))
        .await;
    assert_eq!(
        pairs(&s.detail(&app, &chosen).await),
        [
            "Sandbox viewers/ann@acme.com",
            "Sandbox viewers/cy@acme.com",
        ]
    );
    let (status, list) = app.get("/api/v1/access-reviews", &s.key).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Sandbox", "Sensitive", "All"], "newest first");
    let starts = super::review_actions(&app, &s.key).await;
    assert_eq!(starts, ["review.started"; 3]);
}

async fn owners_review_their_groups_and_never_themselves(app: App) {
    let s = Setup::new(&app).await;
    let live = s
        .group(&app, "Live ops", json!({ "live": ["analytics"] }))
        .await;
    let support = s
        .group(&app, "Support", json!({ "sandbox": ["analytics"] }))
        .await;
    let olga = s.member(&app, "olga@acme.com", &[&live]).await;
    let pia = s.member(&app, "pia@acme.com", &[]).await;
    s.member(&app, "mo@acme.com", &[&live, &support]).await;
    let body = |reviewers: Value| {
        json!({ "name": "Q4", "scope": { "kind": "all" }, "reviewers": reviewers,
                "due_at": days_ahead(&app, 7) })
    };
    // Nobody owns anything yet: every membership would go unreviewed.
    let got = s.start(&app, body(json!({ "group_owners": true }))).await;
    assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "review_unassigned");

    s.own(&app, &live, &olga).await;
    s.own(&app, &support, &pia).await;
    let (status, owners) = app
        .get(&format!("/api/v1/groups/{live}/owners"), &s.key)
        .await;
    assert_eq!(status, StatusCode::OK, "{owners}");
    assert_eq!(owners[0]["email"], "olga@acme.com", "{owners}");
    // Olga owns Live ops and is in it: her own membership has no other reviewer.
    let got = s.start(&app, body(json!({ "group_owners": true }))).await;
    assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "review_unassigned");
    assert!(
        got.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Live ops"),
        "{}",
        got.1
    );

    // With Pia named too, Pia reviews Olga's membership; Olga never does.
    let review = s
        .started(
            &app,
            body(json!({ "group_owners": true, "user_ids": [pia["id"]] })),
        )
        .await;
    let d = s.detail(&app, &review).await;
    for item in d["items"].as_array().unwrap() {
        let reviewers = item["reviewer_ids"].as_array().unwrap();
        assert!(!reviewers.contains(&item["user_id"]), "self-review: {item}");
        if item["email"] == "olga@acme.com" {
            assert_eq!(item["reviewer_ids"], json!([pia["id"]]), "{item}");
        }
        if item["group_name"] == "Live ops" && item["email"] == "mo@acme.com" {
            assert_eq!(item["reviewer_ids"].as_array().unwrap().len(), 2, "{item}");
        }
    }
    // Owners are audited as group changes.
    let actions = app.audit_actions(&s.key).await;
    assert_eq!(
        actions.iter().filter(|a| *a == "group.owner_added").count(),
        2
    );
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/groups/{live}/owners/{}", id(&olga)),
            &s.key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, owners) = app
        .get(&format!("/api/v1/groups/{live}/owners"), &s.key)
        .await;
    assert_eq!(owners, json!([]));
}

async fn bad_starts_are_refused_without_a_trace(app: App) {
    let s = Setup::new(&app).await;
    let live = s
        .group(&app, "Live ops", json!({ "live": ["analytics"] }))
        .await;
    let rev = s.member(&app, "rev@acme.com", &[]).await;
    let gone = s.member(&app, "gone@acme.com", &[]).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/users/{}/deactivate", id(&gone)),
            &s.key,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    s.member(&app, "ann@acme.com", &[&live]).await;
    let good = json!({ "name": "Q4", "scope": { "kind": "all" },
                       "reviewers": { "user_ids": [rev["id"]] }, "due_at": days_ahead(&app, 7) });
    let with = |field: &str, value: Value| {
        let mut b = good.clone();
        b[field] = value;
        b
    };
    let refused = [
        (with("name", json!(" ")), "invalid_review_name"),
        (
            with("due_at", json!(days_ahead(&app, -1))),
            "invalid_due_date",
        ),
        (
            with("due_at", json!(days_ahead(&app, 400))),
            "invalid_due_date",
        ),
        (with("reviewers", json!({})), "invalid_reviewers"),
        (
            with("reviewers", json!({ "user_ids": [gone["id"]] })),
            "invalid_reviewers",
        ),
        (
            with("reviewers", json!({ "user_ids": [rev["id"], rev["id"]] })),
            "invalid_reviewers",
        ),
        (
            with("scope", json!({ "kind": "groups", "group_ids": [] })),
            "invalid_review_scope",
        ),
        (
            with(
                "scope",
                json!({ "kind": "groups", "group_ids": [live, live] }),
            ),
            "invalid_review_scope",
        ),
    ];
    for (body, code) in refused {
        let got = s.start(&app, body.clone()).await;
        assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, code);
    }
    for body in [
        with("scope", json!({ "kind": "everything" })),
        with("extra", json!(1)),
        with("due_at", json!("next week")),
    ] {
        let got = s.start(&app, body).await;
        assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    }
    let unknown = "01890000-0000-7000-8000-000000000000";
    let got = s
        .start(
            &app,
            with("scope", json!({ "kind": "groups", "group_ids": [unknown] })),
        )
        .await;
    assert_error(&got, StatusCode::NOT_FOUND, "group_not_found");
    // Starting needs reviews.manage; reading needs audit.view.
    let bid = s.t.f.business["id"].as_str().unwrap();
    let weak = app
        .key_for(bid, json!({ "business": ["groups.manage", "users.view"] }))
        .await;
    let got = app
        .post("/api/v1/access-reviews", &weak, good.clone())
        .await;
    assert_error(&got, StatusCode::FORBIDDEN, "permission_denied");
    let got = app.get("/api/v1/access-reviews", &weak).await;
    assert_error(&got, StatusCode::FORBIDDEN, "permission_denied");
    let got = app
        .get(&format!("/api/v1/access-reviews/{unknown}"), &s.key)
        .await;
    assert_error(&got, StatusCode::NOT_FOUND, "access_review_not_found");
    let got = app.get("/api/v1/access-reviews/not-an-id", &s.key).await;
    assert_error(&got, StatusCode::BAD_REQUEST, "invalid_path");
    // A deactivated user owns nothing; an unknown group has no owners.
    let got = app
        .call(
            Method::PUT,
            &format!("/api/v1/groups/{live}/owners/{}", id(&gone)),
            &s.key,
            None,
        )
        .await;
    assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "invalid_owner");
    let got = app
        .call(
            Method::PUT,
            &format!("/api/v1/groups/{unknown}/owners/{}", id(&rev)),
            &s.key,
            None,
        )
        .await;
    assert_error(&got, StatusCode::NOT_FOUND, "group_not_found");

    let (_, list) = app.get("/api/v1/access-reviews", &s.key).await;
    assert_eq!(list, json!([]), "nothing was started");
    assert!(super::review_actions(&app, &s.key).await.is_empty());
    assert!(app.mail.mails().iter().all(|m| {
        !m.header("subject")
            .is_some_and(|s| s.contains("Access review"))
    }));
}
