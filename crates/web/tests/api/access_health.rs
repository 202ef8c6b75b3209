//! The access-health advisor on both backends: a business seeded so that every finding
//! fires, then the suggested fixes, after which none does; the score and its history, the
//! CSV export, the thresholds, and the weekly digest through the mail outbox.

use std::collections::BTreeSet;

use gatehouse_domain::Clock;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;
use time::format_description::well_known::Rfc3339;

use crate::authz::Table;
use crate::helpers::{App, OPERATOR, assert_error, everything};

crate::backend_tests!(
    every_finding_fires_and_the_suggested_fixes_clear_them,
    thresholds_are_bounded_and_change_the_report,
);

const ALL_KINDS: [&str; 14] = [
    "sensitive_widely_held",
    "business_wide_sensitive_group",
    "live_access_without_mfa",
    "dormant_account",
    "stale_invitation",
    "empty_group",
    "group_without_permissions",
    "vague_group_name",
    "group_without_description",
    "duplicate_groups",
    "administrator_without_mfa",
    "unused_api_key",
    "api_key_without_expiry",
    "unused_application",
];

async fn ok(got: (StatusCode, Value)) {
    assert!(got.0.is_success(), "{}", got.1);
}

async fn health(app: &App, key: &str) -> Value {
    let (status, r) = app.get("/api/v1/access-health", key).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    r
}

fn kinds(report: &Value) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_owned())
        .collect()
}

fn involved(report: &Value, kind: &str) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .flat_map(|f| f["subjects"].as_array().unwrap().clone())
        .map(|s| s["label"].as_str().unwrap().to_owned())
        .collect()
}

async fn every_finding_fires_and_the_suggested_fixes_clear_them(app: App) {
    let t = Table::new(&app).await;
    let f = &t.f;
    let t0 = f.tenants[0]["id"].as_str().unwrap().to_owned();
    let t1 = f.tenants[1]["id"].as_str().unwrap().to_owned();
    let bid = f.business["id"].as_str().unwrap().to_owned();
    let live = |k: &str| json!({ "live": [k] });

    // Long ago: an invitation nobody accepted, an account that never signed in again, a
    // key without expiry nobody used, an application nobody used.
    let analysts = t.group(&app, json!({ "name": "Analysts", "description": "Read analytics in the EU", "type": "tenants", "tenant_ids": [t0], "permissions": live("analytics") }))
        .await;
    let pending = t.user(&app, "pending@acme.com", &[], false).await;
    let old = t.user(&app, "old@acme.com", &[&analysts], true).await;
    let (status, ci) = app
        .post(
            "/api/v1/api-keys",
            &f.admin_key,
            json!({ "name": "ci", "permissions": { "business": ["users.view"] } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ci}");
    let (status, portal) = app
        .post(
            "/api/v1/applications",
            &f.admin_key,
            crate::applications::web_app("Legacy portal"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{portal}");
    app.clock.advance(Duration::days(100));

    // Today.
    let exporters = t.group(&app, json!({ "name": "Exporters EU", "description": "Export verifications in the EU", "type": "tenants", "tenant_ids": [t0], "permissions": live("verification.export"), "acknowledge_sensitive": true }))
        .await;
    let everyone = t.group(&app, json!({ "name": "Sandbox cleaners", "description": "Delete test verifications", "type": "business", "permissions": { "sandbox": ["verification.delete"] }, "acknowledge_sensitive": true }))
        .await;
    let vague = t.group(&app, json!({ "name": "Group 1", "type": "tenants", "tenant_ids": [t1], "permissions": { "sandbox": ["analytics"] } }))
        .await;
    let no_perms = t
        .group(
            &app,
            json!({ "name": "Reporting team", "description": "Reports", "type": "business" }),
        )
        .await;
    let duplicate = t.group(&app, json!({ "name": "Insights", "description": "Same as Analysts", "type": "tenants", "tenant_ids": [t0], "permissions": live("analytics") }))
        .await;
    let admins = t.group(&app, json!({ "name": "Administrators", "description": "Manage users and groups", "type": "business", "permissions": { "business": ["users.manage", "groups.manage", "users.view"] }, "acknowledge_sensitive": true }))
        .await;
    let admin = t.user(&app, "admin@acme.com", &[&admins], true).await;
    let mut exporting = Vec::new();
    for i in 1..=4 {
        exporting.push(
            t.user(&app, &format!("u{i}@acme.com"), &[&exporters], true)
                .await,
        );
    }
    let u5 = t
        .user(&app, "u5@acme.com", &[&everyone, &no_perms], true)
        .await;

    let report = health(&app, &f.admin_key).await;
    let fired = kinds(&report);
    let all: BTreeSet<String> = ALL_KINDS.iter().map(|k| (*k).to_owned()).collect();
    assert_eq!(fired, all, "{report:#}");
    assert_eq!(
        involved(&report, "sensitive_widely_held"),
        ["u1@acme.com", "u2@acme.com", "u3@acme.com", "u4@acme.com"]
            .map(String::from)
            .into()
    );
    assert_eq!(
        involved(&report, "dormant_account"),
        ["old@acme.com".to_owned()].into()
    );
    assert_eq!(
        involved(&report, "stale_invitation"),
        ["pending@acme.com".to_owned()].into()
    );
    assert_eq!(
        involved(&report, "duplicate_groups"),
        ["Analysts".to_owned(), "Insights".to_owned()].into()
    );
    assert_eq!(
        involved(&report, "administrator_without_mfa"),
        ["admin@acme.com".to_owned()].into()
    );
    assert_eq!(
        involved(&report, "unused_application"),
        ["Legacy portal".to_owned()].into()
    );
    assert!(involved(&report, "vague_group_name").contains("Group 1"));
    assert!(
        report["score"].as_u64().unwrap() < 50,
        "{}",
        report["score"]
    );
    let fix = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "business_wide_sensitive_group")
        .unwrap();
    assert_eq!(fix["fix"], format!("/groups/{everyone}"));
    let first_score = report["score"].clone();

    // The CSV export names every finding and subject.
    let csv = app
        .request(
            reqwest::Method::GET,
            "/api/v1/access-health/export.csv",
            &f.admin_key,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("severity,finding,title,subject_kind,subject_id,subject,fix\r\n"));
    for k in ALL_KINDS {
        assert!(csv.contains(&format!(",{k},")), "{k} missing from\n{csv}");
    }

    // The suggested fixes.
    let user = |u: &Value| u["id"].as_str().unwrap().to_owned();
    ok(app
        .delete(
            &format!("/api/v1/users/{}/invitation", user(&pending)),
            &f.admin_key,
        )
        .await)
    .await;
    ok(app
        .post(
            &format!("/api/v1/users/{}/deactivate", user(&old)),
            &f.admin_key,
            json!({}),
        )
        .await)
    .await;
    ok(app
        .delete(
            &format!("/api/v1/api-keys/{}", ci["id"].as_str().unwrap()),
            &f.admin_key,
        )
        .await)
    .await;
    ok(app
        .delete(
            &format!("/api/v1/applications/{}", portal["id"].as_str().unwrap()),
            &f.admin_key,
        )
        .await)
    .await;
    ok(app
        .patch(
            &format!("/api/v1/groups/{exporters}"),
            &f.admin_key,
            json!({ "permissions": live("verification.view") }),
        )
        .await)
    .await;
    ok(app
        .patch(
            &format!("/api/v1/groups/{everyone}"),
            &f.admin_key,
            json!({ "type": "tenants", "tenant_ids": [t1], "acknowledge_sensitive": true }),
        )
        .await)
    .await;
    ok(app
        .delete(&format!("/api/v1/groups/{vague}"), &f.admin_key)
        .await)
    .await;
    ok(app
        .delete(
            &format!("/api/v1/groups/{no_perms}?force=true"),
            &f.admin_key,
        )
        .await)
    .await;
    ok(app
        .delete(&format!("/api/v1/groups/{duplicate}"), &f.admin_key)
        .await)
    .await;
    for u in exporting.iter().chain([&admin, &u5]) {
        app.enrol_mfa(&f.business, u).await;
    }
    // The key everything ran with never expires: a key that does takes over.
    let expires = (app.clock.now() + Duration::days(30))
        .format(&Rfc3339)
        .unwrap();
    let (status, key) = app
        .post(
            &format!("/api/v1/businesses/{bid}/api-keys"),
            OPERATOR,
            json!({ "name": "admin", "permissions": everything(), "acknowledge_sensitive": true, "expires_at": expires }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let key = key["token"].as_str().unwrap().to_owned();
    let (_, keys) = app.get("/api/v1/api-keys", &key).await;
    for k in keys
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["expires_at"].is_null() && k["revoked_at"].is_null())
    {
        ok(app
            .delete(
                &format!("/api/v1/api-keys/{}", k["id"].as_str().unwrap()),
                &key,
            )
            .await)
        .await;
    }

    let report = health(&app, &key).await;
    assert_eq!(report["findings"], json!([]), "{report:#}");
    assert_eq!(report["score"], 100);
    // Today's score was kept up to date; one row per day.
    assert_eq!(report["history"].as_array().unwrap().len(), 1, "{report:#}");
    assert_eq!(report["history"][0]["score"], 100);
    assert_ne!(first_score, 100);

    // A day later the housekeeping records a new row; the history shows both days.
    app.clock.advance(Duration::days(1));
    assert_eq!(app.gh.record_daily_scores().await.unwrap(), 1);
    assert_eq!(app.gh.record_daily_scores().await.unwrap(), 0);
    let report = health(&app, &key).await;
    assert_eq!(report["history"].as_array().unwrap().len(), 2, "{report:#}");
    // Days are calendar dates, as the schema says.
    let mut days: Vec<&str> = report["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["day"].as_str().unwrap())
        .collect();
    days.sort_unstable();
    let today = app.clock.now().date().to_string();
    let yesterday = (app.clock.now() - Duration::days(1)).date().to_string();
    assert_eq!(days, [yesterday, today], "{report:#}");

    // The weekly digest goes to the administrator through the outbox.
    assert_eq!(app.gh.send_access_health_digests().await.unwrap(), 1);
    assert_eq!(app.gh.send_access_health_digests().await.unwrap(), 0);
    let mail = app
        .mail
        .wait_for("admin@acme.com", "Access health", 1)
        .await
        .expect("the digest reaches the administrator");
    assert!(mail.data.contains("100 out of 100"), "{}", mail.data);
    assert!(
        mail.data.contains("/b/acme/admin/access-health"),
        "{}",
        mail.data
    );
    let digests = app
        .mail
        .mails()
        .into_iter()
        .filter(|m| {
            m.header("subject")
                .is_some_and(|s| s.contains("Access health"))
        })
        .count();
    assert_eq!(digests, 1, "only administrators get the digest");
}

async fn thresholds_are_bounded_and_change_the_report(app: App) {
    let f = app.fixture("acme").await;
    let (status, s) = app.get("/api/v1/settings/advisor", &f.admin_key).await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["dormant_days"], 90);
    let bad = app
        .patch(
            "/api/v1/settings/advisor",
            &f.admin_key,
            json!({ "dormant_days": 0 }),
        )
        .await;
    assert_error(&bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_threshold");
    let (status, s) = app
        .patch(
            "/api/v1/settings/advisor",
            &f.admin_key,
            json!({ "unused_days": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["unused_days"], 1);
    assert_eq!(s["dormant_days"], 90);
    let (_, events) = app
        .get(
            "/api/v1/audit-events?action=settings.advisor_changed",
            &f.admin_key,
        )
        .await;
    assert_eq!(events["items"].as_array().unwrap().len(), 1, "{events}");
    // A key made two days ago and never used is now unused.
    app.clock.advance(Duration::days(2));
    let (status, key) = app
        .post("/api/v1/api-keys", &f.admin_key, json!({ "name": "idle", "permissions": {}, "expires_at": (app.clock.now() + Duration::days(5)).format(&Rfc3339).unwrap() }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    app.clock.advance(Duration::days(2));
    let (_, report) = app.get("/api/v1/access-health", &f.admin_key).await;
    assert!(
        involved(&report, "unused_api_key").contains("idle"),
        "{report:#}"
    );
}
