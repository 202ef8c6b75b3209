//! SCIM 2.0 at `/scim/v2`, on both backends: users and groups through their life cycle,
//! filters, PATCH, ETags, what Okta and Entra send, and the rules every provisioned change
//! keeps (isolation, no escalation, the last administrator, audit events).

mod clients;
mod dashboard;
mod filters;
mod groups;
mod patch;
mod rules;
mod users;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{App, Fixture};

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// One SCIM answer: status, body, headers.
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub headers: HeaderMap,
}

impl Answer {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Asserts a SCIM error: status and `scimType` (`None`: none).
    #[track_caller]
    pub fn refused(&self, status: StatusCode, scim_type: Option<&str>) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(
            self.body["schemas"],
            json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
            "{}",
            self.body
        );
        assert_eq!(self.body["status"], status.as_u16().to_string());
        assert_eq!(self.body["scimType"].as_str(), scim_type, "{}", self.body);
    }
}

/// A business `acme` with an admin key, and a key holding only `scim.provision`.
pub async fn setup(app: &App) -> (Fixture, String) {
    let f = app.fixture("acme").await;
    let token = scim_key(app, &f).await;
    (f, token)
}

pub async fn scim_key(app: &App, f: &Fixture) -> String {
    let business = f.business["id"].as_str().unwrap();
    app.key_for(business, json!({ "business": ["scim.provision"] }))
        .await
}

/// A SCIM request with `application/scim+json`, and extra headers.
pub async fn scim(
    app: &App,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut req = app
        .request(method, &format!("/scim/v2{path}"), token)
        .header("accept", "application/scim+json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(body) = body {
        req = req
            .header("content-type", "application/scim+json")
            .body(body.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    if !text.is_empty() {
        assert_eq!(
            headers["content-type"], "application/scim+json",
            "SCIM answers are application/scim+json"
        );
    }
    Answer {
        status,
        body,
        headers,
    }
}

pub async fn get(app: &App, path: &str, token: &str) -> Answer {
    scim(app, Method::GET, path, token, None, &[]).await
}

pub async fn post(app: &App, path: &str, token: &str, body: Value) -> Answer {
    scim(app, Method::POST, path, token, Some(body), &[]).await
}

pub async fn put(app: &App, path: &str, token: &str, body: Value) -> Answer {
    scim(app, Method::PUT, path, token, Some(body), &[]).await
}

pub async fn patch(app: &App, path: &str, token: &str, ops: Value) -> Answer {
    let body = json!({ "schemas": [PATCH], "Operations": ops });
    scim(app, Method::PATCH, path, token, Some(body), &[]).await
}

pub async fn delete(app: &App, path: &str, token: &str) -> Answer {
    scim(app, Method::DELETE, path, token, None, &[]).await
}

/// Creates a user through SCIM; its id.
pub async fn create_user(app: &App, token: &str, email: &str, external: &str) -> String {
    let a = post(
        app,
        "/Users",
        token,
        json!({ "schemas": [USER], "userName": email, "externalId": external,
                "name": { "givenName": "Given", "familyName": external },
                "emails": [{ "value": email, "type": "work", "primary": true }] }),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.body["id"].as_str().unwrap().to_owned()
}

/// Creates a group through SCIM; its id.
pub async fn create_group(app: &App, token: &str, name: &str, members: &[&str]) -> String {
    let members: Vec<Value> = members.iter().map(|m| json!({ "value": m })).collect();
    let a = post(
        app,
        "/Groups",
        token,
        json!({ "schemas": [GROUP], "displayName": name, "members": members }),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.body["id"].as_str().unwrap().to_owned()
}

/// The user as the Gatehouse API shows it.
pub async fn api_user(app: &App, f: &Fixture, id: &str) -> Value {
    let (status, user) = app.get(&format!("/api/v1/users/{id}"), &f.admin_key).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    user
}
