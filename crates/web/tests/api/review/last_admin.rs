//! Issue 8, defect 10: with exactly two administrators, two simultaneous changes that each
//! remove one of them never both succeed: exactly one is refused with `last_administrator`,
//! on both backends, every round.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::burst::{RawRequest, burst};
use crate::helpers::{App, Fixture};
use crate::sign_in::member;

crate::backend_tests!(
    removing_both_from_the_group_at_once,
    deactivating_both_at_once,
    stripping_both_groups_at_once,
);

const ROUNDS: usize = 40;
const ADMIN_RIGHTS: [&str; 3] = ["users.view", "users.manage", "groups.manage"];

async fn group(app: &App, f: &Fixture, name: &str) -> String {
    let (status, g) = app
        .post(
            "/api/v1/groups",
            &f.admin_key,
            json!({ "name": name, "type": "business", "acknowledge_sensitive": true,
                    "permissions": { "business": ADMIN_RIGHTS } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    g["id"].as_str().unwrap().to_owned()
}

/// Fires both requests at once; asserts one succeeded and the other was refused.
async fn exactly_one_refused(app: &App, round: usize, requests: Vec<RawRequest>) -> usize {
    let answers = burst(&app.base, requests).await;
    let ok: Vec<usize> = (0..answers.len())
        .filter(|&i| answers[i].0 == 200 || answers[i].0 == 204)
        .collect();
    let refused = answers
        .iter()
        .filter(|(s, b)| *s == 409 && b.contains("last_administrator"))
        .count();
    assert_eq!(
        (ok.len(), refused),
        (1, 1),
        "round {round}: exactly one of the two may succeed: {answers:?}"
    );
    ok[0]
}

async fn admin_count(app: &App, f: &Fixture, groups: &[&str]) -> usize {
    let mut ids = std::collections::BTreeSet::new();
    for g in groups {
        let (_, m) = app
            .get(
                &format!("/api/v1/groups/{g}/members?limit=500"),
                &f.admin_key,
            )
            .await;
        for u in m["items"].as_array().unwrap() {
            if u["status"] == "active" {
                ids.insert(u["id"].as_str().unwrap().to_owned());
            }
        }
    }
    ids.len()
}

async fn removing_both_from_the_group_at_once(app: App) {
    let f = app.fixture("acme").await;
    let admins = group(&app, &f, "Administrators").await;
    let (_, a) = member(&app, &f, "ada@example.com", &[&admins]).await;
    let (_, b) = member(&app, &f, "bea@example.com", &[&admins]).await;
    let users = [a, b];
    for round in 0..ROUNDS {
        let requests = users
            .iter()
            .map(|u| {
                RawRequest::api(
                    "DELETE",
                    &format!("/api/v1/groups/{admins}/members/{u}"),
                    &f.admin_key,
                    None,
                )
            })
            .collect();
        let gone = exactly_one_refused(&app, round, requests).await;
        assert_eq!(admin_count(&app, &f, &[&admins]).await, 1, "round {round}");
        let (status, body) = app
            .post(
                &format!("/api/v1/groups/{admins}/members"),
                &f.admin_key,
                json!({ "user_ids": [users[gone]] }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

async fn deactivating_both_at_once(app: App) {
    let f = app.fixture("acme").await;
    let admins = group(&app, &f, "Administrators").await;
    let (_, a) = member(&app, &f, "ada@example.com", &[&admins]).await;
    let (_, b) = member(&app, &f, "bea@example.com", &[&admins]).await;
    let users = [a, b];
    for round in 0..ROUNDS {
        let requests = users
            .iter()
            .map(|u| {
                RawRequest::api(
                    "POST",
                    &format!("/api/v1/users/{u}/deactivate"),
                    &f.admin_key,
                    Some(json!({})),
                )
            })
            .collect();
        let gone = exactly_one_refused(&app, round, requests).await;
        assert_eq!(admin_count(&app, &f, &[&admins]).await, 1, "round {round}");
        let (status, body) = app
            .post(
                &format!("/api/v1/users/{}/reactivate", users[gone]),
                &f.admin_key,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

async fn stripping_both_groups_at_once(app: App) {
    let f = app.fixture("acme").await;
    let group_a = group(&app, &f, "Administrators A").await;
    let group_b = group(&app, &f, "Administrators B").await;
    member(&app, &f, "ada@example.com", &[&group_a]).await;
    member(&app, &f, "bea@example.com", &[&group_b]).await;
    let groups = [group_a, group_b];
    let stripped: Value = json!({ "permissions": { "business": ["users.view"] } });
    for round in 0..ROUNDS {
        let requests = groups
            .iter()
            .map(|g| {
                RawRequest::api(
                    "PATCH",
                    &format!("/api/v1/groups/{g}"),
                    &f.admin_key,
                    Some(stripped.clone()),
                )
            })
            .collect();
        let gone = exactly_one_refused(&app, round, requests).await;
        let (status, body) = app
            .patch(
                &format!("/api/v1/groups/{}", groups[gone]),
                &f.admin_key,
                json!({ "permissions": { "business": ADMIN_RIGHTS }, "acknowledge_sensitive": true }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}
