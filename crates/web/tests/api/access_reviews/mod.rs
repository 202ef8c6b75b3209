//! Access reviews end to end on both backends: scopes and reviewers at the start, what a
//! reviewer may decide (their own items only, never their own membership), a removal the
//! very next check denies, reminders and escalation by the clock, closing with a stored
//! report exported as JSON and CSV, schedules, audit events and webhooks, bad input.

mod decisions;
mod notices;
mod reports;
mod scopes;

use gatehouse_domain::Clock;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::Duration;
use time::format_description::well_known::Rfc3339;

use crate::authz::Table;
use crate::browser::Browser;
use crate::helpers::App;
use crate::invitations::PW;

/// A business with MFA off (reviewers sign in with a password), a key that manages
/// reviews and groups, and a decision checker.
pub(crate) struct Setup {
    pub t: Table,
    pub key: String,
}

impl Setup {
    pub async fn new(app: &App) -> Self {
        let t = Table::new(app).await;
        let key = app
            .key_for(
                t.f.business["id"].as_str().unwrap(),
                json!({ "business": ["reviews.manage", "audit.view", "groups.manage", "users.view", "users.manage"] }),
            )
            .await;
        Self { t, key }
    }

    /// A group granting `live` analytics (or what `permissions` says); its id.
    pub async fn group(&self, app: &App, name: &str, permissions: Value) -> String {
        self.t
            .group(
                app,
                json!({ "name": name, "type": "business", "permissions": permissions,
                        "acknowledge_sensitive": true }),
            )
            .await
    }

    /// An active user in `groups` (no session).
    pub async fn member(&self, app: &App, email: &str, groups: &[&str]) -> Value {
        self.t.user(app, email, groups, true).await
    }

    /// A user who accepted their invitation: signed in, in `groups`.
    pub async fn person<'a>(
        &self,
        app: &'a App,
        email: &str,
        groups: &[&str],
    ) -> (Value, Browser<'a>) {
        let user = app.invite(&self.t.f.admin_key, email, groups).await;
        let (b, _) = app.accept(email, PW, 1).await;
        (user, b)
    }

    pub async fn own(&self, app: &App, group: &str, user: &Value) {
        let (status, owners) = app
            .call(
                Method::PUT,
                &format!("/api/v1/groups/{group}/owners/{}", id(user)),
                &self.key,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{owners}");
    }

    pub async fn start(&self, app: &App, body: Value) -> (StatusCode, Value) {
        app.post("/api/v1/access-reviews", &self.key, body).await
    }

    /// Starts a review that must start; the review.
    pub async fn started(&self, app: &App, body: Value) -> Value {
        let (status, review) = self.start(app, body).await;
        assert_eq!(status, StatusCode::CREATED, "{review}");
        review
    }

    /// The review with its items.
    pub async fn detail(&self, app: &App, review: &Value) -> Value {
        let (status, d) = app
            .get(&format!("/api/v1/access-reviews/{}", id(review)), &self.key)
            .await;
        assert_eq!(status, StatusCode::OK, "{d}");
        d
    }
}

pub fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

/// An instant `days` from the app's clock, in RFC 3339.
pub fn days_ahead(app: &App, days: i64) -> String {
    (app.clock.now() + Duration::days(days))
        .format(&Rfc3339)
        .unwrap()
}

/// The signed-in reviewer's worklist.
pub async fn worklist(b: &mut Browser<'_>) -> Vec<Value> {
    let r = b
        .api(Method::GET, "/api/v1/access-reviews/assigned", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    serde_json::from_str::<Value>(&r.body)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// The signed-in reviewer decides an item: the status and body.
pub async fn decide(
    b: &mut Browser<'_>,
    item: &Value,
    decision: &str,
    comment: &str,
) -> (StatusCode, Value) {
    let csrf = b.csrf("acme").await;
    let path = format!(
        "/api/v1/access-reviews/{}/items/{}/decision",
        item["review_id"].as_str().unwrap(),
        id(item)
    );
    let r = b
        .api(
            Method::POST,
            &path,
            Some(&csrf),
            Some(json!({ "decision": decision, "comment": comment })),
        )
        .await;
    let body = serde_json::from_str(&r.body).unwrap_or(Value::String(r.body.clone()));
    (r.status, body)
}

/// The business's audit actions starting with `review.`, oldest first.
pub async fn review_actions(app: &App, key: &str) -> Vec<String> {
    app.audit_actions(key)
        .await
        .into_iter()
        .filter(|a| a.starts_with("review."))
        .collect()
}
