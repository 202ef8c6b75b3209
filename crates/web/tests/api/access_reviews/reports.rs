//! Closing a review stores its report (undecided items as "no decision"), exported as JSON
//! and CSV; review events reach webhooks subscribed to `reviews`; schedules start reviews
//! again by the clock.

use gatehouse_domain::Clock;
use reqwest::{Method, StatusCode};
use serde_json::json;
use time::Duration;

use super::{Setup, days_ahead, decide, id, review_actions, worklist};
use crate::helpers::{App, assert_error};
use crate::webhooks::receiver::Receiver;

crate::backend_tests!(
    closing_stores_a_report_exported_as_json_and_csv,
    a_schedule_starts_a_review_every_period,
);

async fn closing_stores_a_report_exported_as_json_and_csv(app: App) {
    let s = Setup::new(&app).await;
    let bid = s.t.f.business["id"].as_str().unwrap().to_owned();
    let hooks = app
        .key_for(&bid, json!({ "business": ["webhooks.manage"] }))
        .await;
    let receiver = Receiver::start().await;
    let (status, hook) = app
        .post(
            "/api/v1/webhooks",
            &hooks,
            json!({ "url": receiver.url, "event_types": ["reviews"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let ops = s
        .group(&app, "Live ops", json!({ "live": ["analytics"] }))
        .await;
    let (rev, mut r) = s.person(&app, "rev@acme.com", &[]).await;
    s.member(&app, "mo@acme.com", &[&ops]).await;
    s.member(&app, "max@acme.com", &[&ops]).await;
    let review = s
        .started(&app, json!({ "name": "Q4, \"ops\"", "scope": { "kind": "all" },
                               "reviewers": { "user_ids": [rev["id"]] }, "due_at": days_ahead(&app, 7) }))
        .await;
    let base = format!("/api/v1/access-reviews/{}", id(&review));
    let got = app.get(&format!("{base}/report"), &s.key).await;
    assert_error(&got, StatusCode::CONFLICT, "access_review_open");
    let items = worklist(&mut r).await;
    let max = items.iter().find(|i| i["email"] == "max@acme.com").unwrap();
    let mo = items.iter().find(|i| i["email"] == "mo@acme.com").unwrap();
    let (status, _) = decide(&mut r, max, "remove", "=left, in \"May\"").await;
    assert_eq!(status, StatusCode::OK);

    let closed_at = app.clock.now();
    let (status, report) = app.post(&format!("{base}/close"), &s.key, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["review"]["state"], "closed");
    assert_eq!(report["review"]["closed_by"], "test key");
    assert_eq!(report["review"]["items_decided"], 1);
    let lines = report["lines"].as_array().unwrap();
    let outcome = |email: &str| {
        lines
            .iter()
            .find(|l| l["email"] == email)
            .unwrap_or_else(|| panic!("{email} in {report}"))
            .clone()
    };
    assert_eq!(outcome("max@acme.com")["outcome"], "remove");
    assert_eq!(outcome("max@acme.com")["decided_by"], "rev@acme.com");
    assert_eq!(outcome("max@acme.com")["comment"], "=left, in \"May\"");
    assert_eq!(outcome("mo@acme.com")["outcome"], "no_decision");
    assert!(outcome("mo@acme.com")["decided_at"].is_null());

    // Closed is final: no more decisions, no second close; the report reads back unchanged.
    let got = decide(&mut r, mo, "keep", "").await;
    assert_eq!(got.0, StatusCode::CONFLICT, "{}", got.1);
    assert_eq!(got.1["error"]["code"], "access_review_closed");
    let got = app.post(&format!("{base}/close"), &s.key, json!({})).await;
    assert_error(&got, StatusCode::CONFLICT, "access_review_closed");
    app.clock.advance(Duration::days(30));
    assert_eq!(
        app.gh.send_access_review_notices().await.unwrap(),
        0,
        "closed"
    );
    let (status, stored) = app.get(&format!("{base}/report"), &s.key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stored, report);
    assert!(closed_at <= app.clock.now());

    let csv = app
        .request(Method::GET, &format!("{base}/report.csv"), &s.key)
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
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(
        rows[0].starts_with("review,group_id,group,user_id,email,"),
        "{csv}"
    );
    assert!(
        rows.iter().any(|l| l.contains("max@acme.com")
            && l.contains(",remove,")
            && l.contains("\"'=left, in \"\"May\"\"\"")
            && l.contains("rev@acme.com")),
        "{csv}"
    );
    assert!(
        rows.iter()
            .any(|l| l.contains("mo@acme.com") && l.contains(",no_decision,")),
        "{csv}"
    );
    assert!(rows[1].starts_with("\"Q4, \"\"ops\"\"\","), "{csv}");

    // Reading needs audit.view; another business's key finds nothing.
    let weak = app
        .key_for(&bid, json!({ "business": ["users.view"] }))
        .await;
    let got = app.get(&format!("{base}/report"), &weak).await;
    assert_error(&got, StatusCode::FORBIDDEN, "permission_denied");
    let other = app.fixture("other").await;
    let outsider = app
        .key_for(
            other.business["id"].as_str().unwrap(),
            json!({ "business": ["audit.view", "reviews.manage"] }),
        )
        .await;
    let got = app.get(&format!("{base}/report"), &outsider).await;
    assert_error(&got, StatusCode::NOT_FOUND, "access_review_not_found");
    let got = app
        .post(&format!("{base}/close"), &outsider, json!({}))
        .await;
    assert_error(&got, StatusCode::NOT_FOUND, "access_review_not_found");

    assert_eq!(
        review_actions(&app, &s.key).await,
        ["review.started", "review.decided", "review.closed"]
    );
    let got = receiver.wait_accepted(3, || ()).await;
    let mut types: Vec<String> = got
        .iter()
        .map(|d| d.json()["type"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    assert_eq!(types, ["review.closed", "review.decided", "review.started"]);
}

async fn a_schedule_starts_a_review_every_period(app: App) {
    let s = Setup::new(&app).await;
    let ops = s
        .group(&app, "Live ops", json!({ "live": ["analytics"] }))
        .await;
    let rev = s.member(&app, "rev@acme.com", &[]).await;
    s.member(&app, "mo@acme.com", &[&ops]).await;
    let body = json!({ "name": "Quarterly", "scope": { "kind": "sensitive_or_live" },
                       "reviewers": { "user_ids": [rev["id"]] }, "every_days": 91, "review_days": 14,
                       "first_at": days_ahead(&app, 1) });
    for (field, bad) in [
        ("every_days", json!(3)),
        ("review_days", json!(92)),
        ("first_at", json!(days_ahead(&app, -2))),
    ] {
        let mut b = body.clone();
        b[field] = bad;
        let got = app.post("/api/v1/access-review-schedules", &s.key, b).await;
        assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "invalid_schedule");
    }
    let (status, schedule) = app
        .post("/api/v1/access-review-schedules", &s.key, body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{schedule}");
    let gh = &app.gh;
    assert_eq!(gh.start_scheduled_reviews().await.unwrap(), 0, "not yet");
    app.clock.advance(Duration::days(1));
    assert_eq!(gh.start_scheduled_reviews().await.unwrap(), 1);
    assert_eq!(
        gh.start_scheduled_reviews().await.unwrap(),
        0,
        "once per period"
    );
    let (_, list) = app.get("/api/v1/access-reviews", &s.key).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["schedule_id"], schedule["id"]);
    assert_eq!(list[0]["started_by"], "system");
    assert_eq!(list[0]["items_total"], 1);
    let due = time::OffsetDateTime::parse(
        list[0]["due_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(due, app.clock.now() + Duration::days(14));

    // The next one starts a period later, not before.
    app.clock.advance(Duration::days(91) - Duration::seconds(1));
    assert_eq!(gh.start_scheduled_reviews().await.unwrap(), 0);
    app.clock.advance(Duration::seconds(1));
    assert_eq!(gh.start_scheduled_reviews().await.unwrap(), 1);
    let (_, schedules) = app.get("/api/v1/access-review-schedules", &s.key).await;
    assert_eq!(schedules[0]["next_at"], days_ahead(&app, 91), "{schedules}");

    // Deleting stops it; the reviews it started stay.
    let got = app
        .delete(
            &format!("/api/v1/access-review-schedules/{}", id(&schedule)),
            &s.key,
        )
        .await;
    assert_eq!(got.0, StatusCode::NO_CONTENT, "{}", got.1);
    app.clock.advance(Duration::days(91));
    assert_eq!(gh.start_scheduled_reviews().await.unwrap(), 0);
    let (_, list) = app.get("/api/v1/access-reviews", &s.key).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    let got = app
        .delete(
            &format!("/api/v1/access-review-schedules/{}", id(&schedule)),
            &s.key,
        )
        .await;
    assert_error(&got, StatusCode::NOT_FOUND, "review_schedule_not_found");
    let actions = review_actions(&app, &s.key).await;
    assert_eq!(
        actions,
        [
            "review.schedule_created",
            "review.started",
            "review.started",
            "review.schedule_deleted"
        ]
    );
}
