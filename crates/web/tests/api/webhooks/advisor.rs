//! Access-health findings as events: a finding that appears is told once
//! (`advisor.finding_opened`), however often the report is computed, and once more when it
//! goes (`advisor.finding_resolved`); both reach an endpoint subscribed to `advisor`, signed,
//! and the audit trail.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Received, setup};
use crate::helpers::App;

fn keys_of(got: &[Received], action: &str) -> BTreeSet<String> {
    got.iter()
        .map(Received::json)
        .filter(|r| r["type"] == action)
        .map(|r| {
            assert_eq!(r["category"], "advisor", "{r}");
            r["data"]["target"]["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

async fn finding_keys(app: &App, key: &str) -> BTreeSet<String> {
    let (status, report) = app.get("/api/v1/access-health", key).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap().to_owned())
        .collect()
}

pub(super) async fn findings_are_told_once_when_they_open_and_when_they_go(app: App) {
    let (key, receiver, hook) = setup(&app, json!(["advisor"])).await;
    let secret = hook["secret"].as_str().unwrap();
    let before = finding_keys(&app, &key).await;
    // A group that breaks four rules: no members, no permissions, a vague name, no
    // description.
    let (status, group) = app
        .post(
            "/api/v1/groups",
            &key,
            json!({ "name": "Group 1", "type": "business" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    let gid = group["id"].as_str().unwrap();
    let with_group = finding_keys(&app, &key).await;
    let added: BTreeSet<String> = with_group.difference(&before).cloned().collect();
    let expected: BTreeSet<String> = [
        "empty_group",
        "group_without_permissions",
        "vague_group_name",
        "group_without_description",
    ]
    .iter()
    .map(|k| format!("{k}:{gid}"))
    .collect();
    assert_eq!(added, expected);
    // Computing again (a view, the daily score) tells nothing new.
    assert_eq!(finding_keys(&app, &key).await, with_group);
    app.gh.record_daily_scores().await.unwrap();

    let opened = before.len() + added.len();
    let got = receiver.wait_accepted(opened, || ()).await;
    assert_eq!(keys_of(&got, "advisor.finding_opened"), with_group);
    assert_eq!(got.len(), opened, "each opening once");
    assert!(got.iter().all(|r| r.signed_by(secret)));
    let one = got
        .iter()
        .map(Received::json)
        .find(|r| r["data"]["target"]["id"] == format!("vague_group_name:{gid}"))
        .unwrap();
    assert_eq!(one["data"]["actor"]["kind"], "system", "{one}");
    assert_eq!(
        one["data"]["after"]["fix"],
        format!("/groups/{gid}"),
        "{one}"
    );

    // The fix: the group goes, and so do its four findings.
    let (status, _) = app.delete(&format!("/api/v1/groups/{gid}"), &key).await;
    assert!(status.is_success());
    assert_eq!(finding_keys(&app, &key).await, before);
    assert_eq!(finding_keys(&app, &key).await, before);
    let got = receiver.wait_accepted(opened + expected.len(), || ()).await;
    assert_eq!(got.len(), opened + expected.len());
    assert_eq!(keys_of(&got, "advisor.finding_resolved"), expected);
    let resolved: Value = got
        .iter()
        .map(Received::json)
        .find(|r| r["type"] == "advisor.finding_resolved")
        .unwrap();
    assert_eq!(
        resolved["data"]["before"]["title"],
        resolved["data"]["target"]["label"]
    );

    // The audit trail has them too.
    let (_, page) = app
        .get("/api/v1/audit-events?action=advisor&limit=100", &key)
        .await;
    let actions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.len(), opened + expected.len(), "{page}");
}
