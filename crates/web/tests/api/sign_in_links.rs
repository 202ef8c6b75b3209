//! The landing page's "sign in to your business" form given an email: the same answer for
//! every address, one mail (over real SMTP) listing the sign-in page of each business where
//! the address has an active account — none for an unknown address, none for deactivated or
//! still-invited accounts — audited in each business; at most one such mail per address per
//! 15 minutes, and a limit per client address.

use reqwest::StatusCode;
use serde_json::json;
use time::Duration;

use crate::browser::{Browser, Resp};
use crate::helpers::{App, Fixture};
use crate::invitations::PW;
use crate::review::burst::{RawRequest, burst};
use crate::sign_in::member;

crate::backend_tests!(
    an_email_is_mailed_its_sign_in_links,
    sign_in_links_are_rate_limited,
    simultaneous_requests_on_two_nodes_mail_once,
);

const SUBJECT: &str = "Where you can sign in";

/// Dana's account in the fixture's business: invited, then accepted from the `n`-th
/// invitation mail to her.
async fn dana_in(app: &App, f: &Fixture, n: usize) -> String {
    let user = app.invite(&f.admin_key, "dana@example.com", &[]).await;
    let (_, res) = app.accept("dana@example.com", PW, n).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    user["id"].as_str().unwrap().to_owned()
}

/// Types `email` into the landing page's form and sends it.
async fn ask(b: &mut Browser<'_>, email: &str) -> Resp {
    b.submit("/", "/sign-in", &[("business", email)]).await
}

/// The `auth.sign_in_links_sent` events the key's business recorded.
async fn events(app: &App, key: &str) -> Vec<serde_json::Value> {
    let (status, page) = app
        .get("/api/v1/audit-events?action=auth.sign_in_links_sent", key)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// How many sign-in-links mails `to` has received.
fn received(app: &App, to: &str) -> usize {
    app.mail
        .mails()
        .iter()
        .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
        .filter(|m| m.header("subject").is_some_and(|s| s.contains(SUBJECT)))
        .count()
}

async fn an_email_is_mailed_its_sign_in_links(app: App) {
    let acme = app.fixture("acme").await;
    let globex = app.fixture("globex").await;
    let initech = app.fixture("initech").await;
    let umbrella = app.fixture("umbrella").await;
    let in_acme = dana_in(&app, &acme, 1).await;
    dana_in(&app, &globex, 2).await;
    let gone = dana_in(&app, &initech, 3).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/users/{gone}/deactivate"),
            &initech.admin_key,
            json!({}),
        )
        .await;
    assert!(status.is_success(), "{status}");
    app.invite(&umbrella.admin_key, "dana@example.com", &[])
        .await;

    // Whoever the address belongs to, the answer is the same.
    let mut visitor = Browser::new(&app);
    let unknown = ask(&mut visitor, "nobody@example.com").await;
    let known = ask(&mut visitor, "Dana@Example.com").await;
    assert_eq!(known.status, StatusCode::OK, "{}", known.body);
    assert_eq!(unknown.status, known.status);
    assert_eq!(unknown.body, known.body, "not a byte apart");
    assert!(
        known
            .body
            .contains("If that address has an account, we&#39;ve sent it a link to sign in")
            || known
                .body
                .contains("If that address has an account, we've sent it a link to sign in"),
        "{}",
        known.body
    );
    assert!(!known.body.contains("acme") && !known.body.contains("Dana"));

    // One mail, with the sign-in page of each business where Dana can sign in.
    let mail = app
        .mail
        .wait_for("dana@example.com", SUBJECT, 1)
        .await
        .expect("the sign-in links arrive");
    for (business, listed) in [
        ("acme", true),
        ("globex", true),
        ("initech", false),
        ("umbrella", false),
    ] {
        let link = format!("{}/b/{business}/sign-in", app.base);
        assert_eq!(
            mail.data.contains(&link),
            listed,
            "{business}: {}",
            mail.data
        );
    }
    assert!(mail.data.contains("Sign in to acme"), "{}", mail.data);
    app.gh.deliver_due_mail().await.unwrap();
    assert_eq!(received(&app, "dana@example.com"), 1);
    assert!(
        app.mail
            .mails()
            .iter()
            .all(|m| !m.to.iter().any(|t| t == "nobody@example.com")),
        "nothing for an address without accounts"
    );

    // Each business where a link went records it about its own account, and nothing else.
    let acme_events = events(&app, &acme.admin_key).await;
    assert_eq!(acme_events.len(), 1, "{acme_events:?}");
    assert_eq!(acme_events[0]["target"]["id"], in_acme.as_str());
    assert_eq!(acme_events[0]["actor"]["kind"], "system");
    assert!(!acme_events[0].to_string().contains("globex"));
    assert_eq!(events(&app, &globex.admin_key).await.len(), 1);
    assert!(events(&app, &initech.admin_key).await.is_empty());
    assert!(events(&app, &umbrella.admin_key).await.is_empty());
}

async fn sign_in_links_are_rate_limited(app: App) {
    let acme = app.fixture("acme").await;
    member(&app, &acme, "dana@example.com", &[]).await;
    member(&app, &acme, "lee@example.com", &[]).await;
    let mut visitor = Browser::new(&app);
    let first = ask(&mut visitor, "dana@example.com").await;
    app.mail
        .wait_for("dana@example.com", SUBJECT, 1)
        .await
        .unwrap();

    // Asked again (by anyone) within 15 minutes: the same answer, and no second mail. Lee's
    // mail, asked for after it, shows the request has been dealt with.
    let mut other = Browser::new(&app);
    let again = ask(&mut other, "dana@example.com").await;
    assert_eq!(again.status, first.status);
    ask(&mut other, "lee@example.com").await;
    app.mail
        .wait_for("lee@example.com", SUBJECT, 1)
        .await
        .unwrap();
    app.gh.deliver_due_mail().await.unwrap();
    assert_eq!(
        received(&app, "dana@example.com"),
        1,
        "one mail per 15 minutes"
    );
    assert_eq!(
        events(&app, &acme.admin_key).await.len(),
        2,
        "Dana once, Lee once"
    );

    app.clock.advance(Duration::minutes(14));
    ask(&mut visitor, "dana@example.com").await;
    ask(&mut visitor, "lee@example.com").await;
    app.clock.advance(Duration::minutes(1));
    ask(&mut visitor, "dana@example.com").await;
    app.mail
        .wait_for("dana@example.com", SUBJECT, 2)
        .await
        .unwrap();
    app.gh.deliver_due_mail().await.unwrap();
    assert_eq!(
        received(&app, "dana@example.com"),
        2,
        "15 minutes on: mailed again"
    );
    assert_eq!(received(&app, "lee@example.com"), 1);

    // Per client address: 10 requests a minute, whatever the emails; then 429 for any.
    app.clock.advance(Duration::minutes(1));
    for n in 0..10 {
        let res = ask(&mut visitor, &format!("someone{n}@example.com")).await;
        assert_eq!(res.status, StatusCode::OK, "request {n}: {}", res.body);
    }
    let known = ask(&mut visitor, "dana@example.com").await;
    let unknown = ask(&mut visitor, "nobody@example.com").await;
    assert_eq!(
        known.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        known.body
    );
    assert!(known.headers.get("retry-after").is_some());
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    app.clock.advance(Duration::minutes(1));
    let res = ask(&mut visitor, "nobody@example.com").await;
    assert_eq!(res.status, StatusCode::OK, "a new minute");
}

async fn simultaneous_requests_on_two_nodes_mail_once(app: App) {
    let acme = app.fixture("acme").await;
    for email in ["dana@example.com", "lee@example.com", "mia@example.com"] {
        member(&app, &acme, email, &[]).await;
    }
    let other = app.through(app.node()).await;
    // Five requests for Dana on each node, all released at the same instant.
    let mut requests = Vec::new();
    for node in [&app, &other] {
        let mut b = Browser::new(node);
        let page = b.get("/").await;
        let csrf = page.input("csrf").unwrap();
        let form = RawRequest::form(
            "/sign-in",
            &b.cookie_header(),
            &[("csrf", &csrf), ("business", "dana@example.com")],
        );
        requests.push((node.base.clone(), vec![form; 5]));
    }
    let [(a, on_a), (b, on_b)] = <[_; 2]>::try_from(requests).unwrap();
    let (answers_a, answers_b) = tokio::join!(burst(&a, on_a), burst(&b, on_b));
    for (status, body) in answers_a.iter().chain(&answers_b) {
        assert_eq!(*status, 200, "{body}");
    }
    app.mail
        .wait_for("dana@example.com", SUBJECT, 1)
        .await
        .unwrap();
    // Requests after them, one per node, show theirs have been dealt with.
    app.clock.advance(Duration::minutes(1));
    ask(&mut Browser::new(&app), "lee@example.com").await;
    ask(&mut Browser::new(&other), "mia@example.com").await;
    app.mail
        .wait_for("lee@example.com", SUBJECT, 1)
        .await
        .unwrap();
    app.mail
        .wait_for("mia@example.com", SUBJECT, 1)
        .await
        .unwrap();
    app.gh.deliver_due_mail().await.unwrap();
    other.gh.deliver_due_mail().await.unwrap();
    assert_eq!(
        received(&app, "dana@example.com"),
        1,
        "ten requests, two nodes, one mail"
    );
    let dana_events = events(&app, &acme.admin_key)
        .await
        .into_iter()
        .filter(|e| e["target"]["label"] == "dana@example.com")
        .count();
    assert_eq!(dana_events, 1);
}
