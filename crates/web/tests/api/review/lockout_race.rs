//! Issue 8, defects 1 and 2: bursts of simultaneous attempts can neither erase a lock nor
//! evaluate more guesses than the threshold; a correct password is not a failure; every
//! refusal state has an end, is visible, and is cleared by an administrator's unlock.

use gatehouse_domain::Clock;
use gatehouse_domain::auth::store::AuthReads;
use gatehouse_domain::ids::UserId;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::burst::{RawRequest, burst};
use crate::browser::Browser;
use crate::helpers::{App, Fixture};
use crate::invitations::PW;
use crate::sign_in::member;

crate::backend_tests!(
    simultaneous_wrong_passwords_never_erase_the_lock,
    correct_passwords_at_the_code_step_are_not_failures,
    mixed_bursts_never_evaluate_more_than_the_threshold_per_period,
    unlock_clears_failures_of_an_active_user,
    a_right_code_during_the_wait_is_told_to_wait,
);

const WRONG: &str = "violet kettle marches south";
const THRESHOLD: usize = 10;

/// The sign-in form's cookie header and CSRF token, for raw requests.
pub async fn sign_in_form(app: &App) -> (String, String) {
    let mut b = Browser::new(app);
    let page = b.get("/b/acme/sign-in").await;
    (b.cookie_header(), page.input("csrf").unwrap())
}

fn sign_in(cookie: &str, csrf: &str, email: &str, password: &str) -> RawRequest {
    RawRequest::form(
        "/b/acme/sign-in",
        cookie,
        &[("csrf", csrf), ("email", email), ("password", password)],
    )
}

/// The user's audit events of `action`, newest first.
async fn events(app: &App, f: &Fixture, user: &str, action: &str) -> Vec<Value> {
    let (status, page) = app
        .get(
            &format!("/api/v1/audit-events?target={user}&action={action}&limit=500"),
            &f.admin_key,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// How many wrong secrets (passwords or codes) were evaluated for the user.
async fn evaluated_wrong(app: &App, f: &Fixture, user: &str) -> usize {
    events(app, f, user, "auth.sign_in_failed")
        .await
        .iter()
        .filter(|e| {
            matches!(
                e["after"]["reason"].as_str(),
                Some("wrong_password" | "wrong_mfa_code")
            )
        })
        .count()
}

async fn status_of(app: &App, f: &Fixture, user: &str) -> String {
    let (_, u) = app
        .get(&format!("/api/v1/users/{user}"), &f.admin_key)
        .await;
    u["status"].as_str().unwrap().to_owned()
}

/// `locked` always comes with an end in the future of the lock's start.
async fn assert_lock_has_an_end(app: &App, f: &Fixture, user: &str) {
    if status_of(app, f, user).await == "locked" {
        let id: UserId = user.parse().unwrap();
        let creds = app.db.store.get_credentials(id).await.unwrap().unwrap();
        let until = creds.locked_until.expect("a locked account has a lock end");
        assert!(until > app.clock.now(), "the lock has not run out yet");
    }
}

async fn simultaneous_wrong_passwords_never_erase_the_lock(app: App) {
    let f = app.fixture("acme").await;
    let (cookie, csrf) = sign_in_form(&app).await;
    for round in 0..20 {
        let email = format!("dana{round}@example.com");
        let (_, dana) = member(&app, &f, &email, &[]).await;
        let requests = (0..30)
            .map(|_| sign_in(&cookie, &csrf, &email, WRONG))
            .collect();
        for (status, body) in burst(&app.base, requests).await {
            assert_eq!(status, 401, "round {round}: {body}");
        }
        assert_eq!(
            evaluated_wrong(&app, &f, &dana).await,
            THRESHOLD,
            "round {round}: exactly the threshold of guesses evaluated"
        );
        assert_eq!(status_of(&app, &f, &dana).await, "locked", "round {round}");
        assert_lock_has_an_end(&app, &f, &dana).await;
        // The next attempts find the lock in force: nothing unlocks, nothing is evaluated.
        let more = (0..5)
            .map(|_| sign_in(&cookie, &csrf, &email, PW))
            .collect();
        for (status, _) in burst(&app.base, more).await {
            assert_eq!(
                status, 401,
                "round {round}: locked, even the right password"
            );
        }
        assert!(
            events(&app, &f, &dana, "user.unlocked").await.is_empty(),
            "round {round}"
        );
        assert_eq!(
            evaluated_wrong(&app, &f, &dana).await,
            THRESHOLD,
            "round {round}"
        );
    }
}

/// An MFA user signed in with the right password up to the code step `n` times.
async fn half_signed_in<'a>(app: &'a App, email: &str, n: usize) -> Vec<Browser<'a>> {
    let mut out = Vec::new();
    for _ in 0..n {
        let mut b = Browser::new(app);
        let res = b.sign_in("acme", email, PW).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert_eq!(res.location(), "/b/acme/mfa");
        out.push(b);
    }
    out
}

async fn mfa_member<'a>(app: &'a App, f: &Fixture, email: &str) -> (Browser<'a>, String) {
    let (mut b, id) = member(app, f, email, &[]).await;
    let (secret, _) = b.enrol("acme").await;
    let _ = secret;
    (b, id)
}

async fn correct_passwords_at_the_code_step_are_not_failures(app: App) {
    let f = app.fixture("acme").await;
    let (mut enrolled, dana) = mfa_member(&app, &f, "dana@example.com").await;
    let _ = &mut enrolled;
    // More than the threshold of right passwords that stop at the code step.
    half_signed_in(&app, "dana@example.com", THRESHOLD + 5).await;
    let id: UserId = dana.parse().unwrap();
    let creds = app.db.store.get_credentials(id).await.unwrap().unwrap();
    assert_eq!(creds.failed_count, 0, "a right password is not a failure");
    // And the user still gets in, code and all.
    let mut b = Browser::new(&app);
    let res = b.sign_in("acme", "dana@example.com", PW).await;
    assert_eq!(res.location(), "/b/acme/mfa", "{}", res.body);
    assert_eq!(evaluated_wrong(&app, &f, &dana).await, 0);
    assert_eq!(status_of(&app, &f, &dana).await, "active");
}

async fn mixed_bursts_never_evaluate_more_than_the_threshold_per_period(app: App) {
    let f = app.fixture("acme").await;
    let (cookie, csrf) = sign_in_form(&app).await;
    for round in 0..20 {
        let email = format!("erin{round}@example.com");
        let (_, erin) = member(&app, &f, &email, &[]).await;
        app.enrol_mfa(&f.business, &json!({ "id": erin })).await;
        let mut halves = half_signed_in(&app, &email, 6).await;
        let mut requests = Vec::new();
        for b in &mut halves {
            let page = b.get("/b/acme/mfa").await;
            let code_csrf = page.input("csrf").unwrap();
            requests.push(RawRequest::form(
                "/b/acme/mfa",
                &b.cookie_header(),
                &[("csrf", &code_csrf), ("code", "000000")],
            ));
        }
        for _ in 0..12 {
            requests.push(sign_in(&cookie, &csrf, &email, WRONG));
        }
        for _ in 0..4 {
            requests.push(sign_in(&cookie, &csrf, &email, PW));
        }
        if round % 2 == 0 {
            requests.push(RawRequest::api(
                "POST",
                &format!("/api/v1/users/{erin}/unlock"),
                &f.admin_key,
                Some(json!({})),
            ));
        }
        for (status, body) in burst(&app.base, requests).await {
            assert!(
                matches!(status, 200 | 303 | 401 | 409 | 429),
                "round {round}: {status} {body}"
            );
        }
        let periods = 1 + events(&app, &f, &erin, "user.unlocked").await.len();
        let evaluated = evaluated_wrong(&app, &f, &erin).await;
        assert!(
            evaluated <= THRESHOLD * periods,
            "round {round}: {evaluated} wrong secrets evaluated in {periods} period(s)"
        );
        assert_lock_has_an_end(&app, &f, &erin).await;
        // Whatever the burst left, the account comes back when the lock runs out.
        app.clock.advance(time::Duration::minutes(16));
        app.gh.release_expired_locks().await.unwrap();
        assert_eq!(status_of(&app, &f, &erin).await, "active", "round {round}");
    }
}

async fn unlock_clears_failures_of_an_active_user(app: App) {
    let f = app.fixture("acme").await;
    let (_, dana) = member(&app, &f, "dana@example.com", &[]).await;
    let mut b = Browser::new(&app);
    for _ in 0..4 {
        b.sign_in("acme", "dana@example.com", WRONG).await;
    }
    let id: UserId = dana.parse().unwrap();
    let creds = app.db.store.get_credentials(id).await.unwrap().unwrap();
    assert_eq!(creds.failed_count, 4);
    let (status, body) = app
        .post(
            &format!("/api/v1/users/{dana}/unlock"),
            &f.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "failures are a state to clear: {body}"
    );
    let creds = app.db.store.get_credentials(id).await.unwrap().unwrap();
    assert_eq!(creds.failed_count, 0);
    assert_eq!(creds.throttled_until, None);
    // With nothing left to clear, unlock says so.
    let (status, _) = app
        .post(
            &format!("/api/v1/users/{dana}/unlock"),
            &f.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

async fn a_right_code_during_the_wait_is_told_to_wait(app: App) {
    let f = app.fixture("acme").await;
    let (_, dana) = member(&app, &f, "dana@example.com", &[]).await;
    let mut first = Browser::new(&app);
    first.sign_in("acme", "dana@example.com", PW).await;
    let (secret, _) = first.enrol("acme").await;
    let _ = dana;
    let node = app
        .through(app.node().auth(|c| c.lockout.throttle_after = 1))
        .await;
    let mut b = Browser::new(&node);
    assert_eq!(
        b.sign_in("acme", "dana@example.com", PW).await.location(),
        "/b/acme/mfa"
    );
    let wrong = b
        .submit("/b/acme/mfa", "/b/acme/mfa", &[("code", "000000")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let code = app.totp(&secret, 0);
    let waiting = b
        .submit("/b/acme/mfa", "/b/acme/mfa", &[("code", &code)])
        .await;
    assert_eq!(
        waiting.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        waiting.body
    );
    assert!(waiting.body.contains("wait"), "{}", waiting.body);
    assert!(waiting.headers.contains_key("retry-after"));
    // After the wait (and on a step not used yet: the enrolment used this one).
    app.clock.advance(time::Duration::seconds(30));
    let code = app.totp(&secret, 0);
    let done = b
        .submit("/b/acme/mfa", "/b/acme/mfa", &[("code", &code)])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
}
