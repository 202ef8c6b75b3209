//! Reminders and escalation follow the clock: a reviewer with undecided items is reminded
//! three days before the due date, administrators are told once it is overdue, and each
//! notice goes to each person once, however often the housekeeping runs.

use serde_json::json;
use time::Duration;

use super::{Setup, days_ahead, decide, review_actions, worklist};
use crate::helpers::App;

crate::backend_tests!(reminders_and_escalation_follow_the_clock_once_each);

/// How many mails to `to` have `subject` in their subject.
fn count(app: &App, to: &str, subject: &str) -> usize {
    app.mail
        .mails()
        .iter()
        .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
        .filter(|m| m.header("subject").is_some_and(|s| s.contains(subject)))
        .count()
}

async fn reminders_and_escalation_follow_the_clock_once_each(app: App) {
    let s = Setup::new(&app).await;
    let ops = s
        .group(&app, "Live ops", json!({ "live": ["analytics"] }))
        .await;
    let support = s
        .group(&app, "Support", json!({ "sandbox": ["analytics"] }))
        .await;
    // Only a key holding reviews.manage grants it (no escalation).
    let (status, boss) = app
        .post(
            "/api/v1/groups",
            &s.key,
            json!({ "name": "Review admins", "type": "business",
                    "permissions": { "business": ["reviews.manage", "audit.view"] } }),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{boss}");
    let (olga, mut o) = s.person(&app, "olga@acme.com", &[]).await;
    let (pia, mut p) = s.person(&app, "pia@acme.com", &[]).await;
    let (ada, _) = s.person(&app, "ada@acme.com", &[]).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/groups/{}/members", boss["id"].as_str().unwrap()),
            &s.key,
            json!({ "user_ids": [ada["id"]] }),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    s.member(&app, "mo@acme.com", &[&ops]).await;
    s.member(&app, "max@acme.com", &[&ops]).await;
    s.member(&app, "nia@acme.com", &[&support]).await;
    s.own(&app, &ops, &olga).await;
    s.own(&app, &support, &pia).await;
    s.started(
        &app,
        json!({ "name": "Q4", "scope": { "kind": "groups", "group_ids": [ops, support] },
                "reviewers": { "group_owners": true }, "due_at": days_ahead(&app, 10) }),
    )
    .await;
    let mail = app
        .mail
        .wait_for("olga@acme.com", "Access review \"Q4\"", 1)
        .await
        .expect("start mail");
    assert!(
        mail.data.contains("reviewer of 2 membership(s)"),
        "{}",
        mail.data
    );
    // Pia decides hers at once: she is never reminded.
    for item in worklist(&mut p).await {
        assert_eq!(decide(&mut p, &item, "keep", "").await.0, 200);
    }
    // Olga keeps one at once (sessions do not last the days the clock moves on).
    let mine = worklist(&mut o).await;
    assert_eq!(decide(&mut o, &mine[0], "keep", "on call").await.0, 200);
    let gh = &app.gh;
    assert_eq!(
        gh.send_access_review_notices().await.unwrap(),
        0,
        "not due yet"
    );

    // Three days before the due date: the reminder, once.
    app.clock.advance(Duration::days(7) - Duration::seconds(1));
    assert_eq!(gh.send_access_review_notices().await.unwrap(), 0);
    app.clock.advance(Duration::seconds(1));
    assert_eq!(gh.send_access_review_notices().await.unwrap(), 1);
    assert_eq!(gh.send_access_review_notices().await.unwrap(), 0);
    let mail = app
        .mail
        .wait_for("olga@acme.com", "Reminder: access review \"Q4\"", 1)
        .await
        .expect("the reminder reaches Olga");
    assert!(
        mail.data.contains("1 membership(s) still wait"),
        "{}",
        mail.data
    );

    // The other is still undecided at the due date: escalation, once, to the review
    // administrators only.
    app.clock.advance(Duration::days(3) - Duration::seconds(1));
    assert_eq!(gh.send_access_review_notices().await.unwrap(), 0);
    app.clock.advance(Duration::seconds(1));
    assert_eq!(gh.send_access_review_notices().await.unwrap(), 1);
    app.clock.advance(Duration::days(5));
    assert_eq!(gh.send_access_review_notices().await.unwrap(), 0);
    let mail = app
        .mail
        .wait_for("ada@acme.com", "Overdue: access review \"Q4\"", 1)
        .await
        .expect("the escalation reaches the review administrator");
    assert!(
        mail.data.contains("1 membership(s) are undecided"),
        "{}",
        mail.data
    );
    for nobody in ["olga@acme.com", "pia@acme.com", "mo@acme.com"] {
        assert_eq!(count(&app, nobody, "Overdue"), 0, "{nobody}");
    }
    assert_eq!(count(&app, "olga@acme.com", "Reminder"), 1);
    assert_eq!(
        count(&app, "pia@acme.com", "Reminder"),
        0,
        "Pia decided all hers"
    );
    let actions = review_actions(&app, &s.key).await;
    let notices: Vec<&String> = actions
        .iter()
        .filter(|a| *a == "review.reminded" || *a == "review.escalated")
        .collect();
    assert_eq!(notices, ["review.reminded", "review.escalated"]);
}
