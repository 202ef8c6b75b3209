//! Brute-force protection: the per-account lock (and its growing delays), parallel
//! guessing, unlocking, and per-address rate limits.

use reqwest::StatusCode;
use serde_json::json;

use crate::browser::Browser;
use crate::helpers::App;
use crate::invitations::PW;
use crate::sign_in::member;

crate::backend_tests!(
    locked_after_ten_failures_others_unaffected_then_unlocked,
    fifty_parallel_wrong_sign_ins_cannot_exceed_the_threshold,
    delays_grow_after_failures,
    sign_in_and_reset_are_rate_limited_per_address,
);

const WRONG: &str = "violet kettle marches south";

async fn status_of(app: &App, uid: &str, key: &str) -> String {
    let (_, u) = app.get(&format!("/api/v1/users/{uid}"), key).await;
    u["status"].as_str().unwrap().to_owned()
}

async fn locked_after_ten_failures_others_unaffected_then_unlocked(app: App) {
    let f = app.fixture("acme").await;
    let (_, dana) = member(&app, &f, "dana@example.com", &[]).await;
    member(&app, &f, "bob@example.com", &[]).await;
    let mut b = Browser::new(&app);
    for _ in 0..10 {
        assert_eq!(
            b.sign_in("acme", "dana@example.com", WRONG).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(status_of(&app, &dana, &f.admin_key).await, "locked");
    assert_eq!(
        b.sign_in("acme", "dana@example.com", PW).await.status,
        StatusCode::UNAUTHORIZED,
        "locked: even the right password"
    );
    assert_eq!(
        Browser::new(&app)
            .sign_in("acme", "bob@example.com", PW)
            .await
            .status,
        StatusCode::SEE_OTHER,
        "others unaffected"
    );

    let (status, u) = app
        .post(
            &format!("/api/v1/users/{dana}/unlock"),
            &f.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!(u["status"], "active");
    assert_eq!(
        b.sign_in("acme", "dana@example.com", PW).await.status,
        StatusCode::SEE_OTHER
    );

    // Locked again; the lock lifts by itself after 15 minutes.
    for _ in 0..10 {
        b.sign_in("acme", "dana@example.com", WRONG).await;
    }
    app.clock.advance(time::Duration::minutes(14));
    assert_eq!(
        b.sign_in("acme", "dana@example.com", PW).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.clock.advance(time::Duration::minutes(1));
    assert_eq!(app.gh.release_expired_locks().await.unwrap(), 1);
    assert_eq!(status_of(&app, &dana, &f.admin_key).await, "active");
    assert_eq!(
        b.sign_in("acme", "dana@example.com", PW).await.status,
        StatusCode::SEE_OTHER
    );
    let actions = app.audit_actions(&f.admin_key).await;
    assert_eq!(actions.iter().filter(|a| *a == "user.locked").count(), 2);
    assert_eq!(actions.iter().filter(|a| *a == "user.unlocked").count(), 2);
}

async fn fifty_parallel_wrong_sign_ins_cannot_exceed_the_threshold(app: App) {
    let f = app.fixture("acme").await;
    let (_, dana) = member(&app, &f, "dana@example.com", &[]).await;
    let mut b = Browser::new(&app);
    let page = b.get("/b/acme/sign-in").await;
    let csrf = page.input("csrf").unwrap();
    let cookie: String = b.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let attempts = (0..50).map(|_| {
        client
            .post(format!("{}/b/acme/sign-in", app.base))
            .header("cookie", &cookie)
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", "dana@example.com"),
                ("password", WRONG),
            ])
            .send()
    });
    for res in futures_join(attempts).await {
        assert_eq!(res.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    let (_, page) = app
        .get(
            "/api/v1/audit-events?action=auth.sign_in_failed&limit=100",
            &f.admin_key,
        )
        .await;
    let guessed = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["after"]["reason"] == "wrong_password")
        .count();
    assert_eq!(
        guessed, 10,
        "exactly the threshold of guesses was evaluated"
    );
    assert_eq!(status_of(&app, &dana, &f.admin_key).await, "locked");
}

/// Awaits all futures concurrently.
async fn futures_join<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

async fn delays_grow_after_failures(app: App) {
    let f = app.fixture("acme").await;
    member(&app, &f, "dana@example.com", &[]).await;
    // A node with the default delays (the test default turns them off).
    let node = app
        .through(app.node().auth(|c| c.lockout.throttle_after = 3))
        .await;
    let mut b = Browser::new(&node);
    for _ in 0..3 {
        assert_eq!(
            b.sign_in("acme", "dana@example.com", WRONG).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // Within the delay even the right password is not looked at.
    assert_eq!(
        b.sign_in("acme", "dana@example.com", PW).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.clock.advance(time::Duration::seconds(1));
    assert_eq!(
        b.sign_in("acme", "dana@example.com", PW).await.status,
        StatusCode::SEE_OTHER
    );
}

async fn sign_in_and_reset_are_rate_limited_per_address(app: App) {
    let f = app.fixture("acme").await;
    member(&app, &f, "dana@example.com", &[]).await;
    let node = app
        .through(app.node().auth(|c| {
            c.rate_limit.sign_in = 3;
            c.rate_limit.password_reset = 2;
        }))
        .await;
    let mut b = Browser::new(&node);
    for _ in 0..3 {
        assert_eq!(
            b.sign_in("acme", "nobody@example.com", PW).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let limited = b.sign_in("acme", "dana@example.com", PW).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    for _ in 0..2 {
        let r = b
            .submit(
                "/b/acme/forgot-password",
                "/b/acme/forgot-password",
                &[("email", "x@example.com")],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let r = b
        .submit(
            "/b/acme/forgot-password",
            "/b/acme/forgot-password",
            &[("email", "x@example.com")],
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    app.clock
        .advance(time::Duration::seconds(i64::try_from(retry).unwrap()));
    assert_eq!(
        b.sign_in("acme", "dana@example.com", PW).await.status,
        StatusCode::SEE_OTHER
    );
}
