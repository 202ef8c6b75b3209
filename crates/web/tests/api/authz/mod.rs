//! The decision API on both backends: the decision table, explanations, immediate effect,
//! the MFA rule, batches, the effective matrix, who-can, sensitive grants, and two nodes.

mod decisions;
mod effects;
mod nodes;
mod temporary;
mod views;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{App, Fixture};

pub(crate) struct Table {
    pub f: Fixture,
    pub checker: String,
}

impl Table {
    pub async fn new(app: &App) -> Self {
        let f = app.fixture("acme").await;
        let checker = app
            .key_for(
                f.business["id"].as_str().unwrap(),
                json!({ "business": ["authz.check"] }),
            )
            .await;
        // The table is about grants; MFA has its own test.
        let (status, _) = app
            .patch(
                "/api/v1/settings/security",
                &f.admin_key,
                json!({ "mfa_policy": "off" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        Self { f, checker }
    }

    pub fn tenant(&self, i: usize) -> &str {
        self.f.tenants[i]["id"].as_str().unwrap()
    }

    pub async fn group(&self, app: &App, body: Value) -> String {
        let (status, g) = app.post("/api/v1/groups", &self.f.admin_key, body).await;
        assert_eq!(status, StatusCode::CREATED, "{g}");
        g["id"].as_str().unwrap().to_owned()
    }

    pub async fn user(&self, app: &App, email: &str, groups: &[&str], active: bool) -> Value {
        let (status, u) = app
            .post(
                "/api/v1/users",
                &self.f.admin_key,
                json!({ "email": email, "group_ids": groups }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{u}");
        if active {
            app.activate(&self.f.business, &u).await;
        }
        u
    }

    pub async fn check(
        &self,
        app: &App,
        user: &Value,
        permission: &str,
        tenant: Option<&str>,
        env: Option<&str>,
    ) -> Value {
        let mut body = json!({ "user_id": user["id"], "permission": permission });
        if let Some(t) = tenant {
            body["tenant_id"] = json!(t);
        }
        if let Some(e) = env {
            body["environment"] = json!(e);
        }
        let (status, d) = app.post("/api/v1/authz/check", &self.checker, body).await;
        assert_eq!(status, StatusCode::OK, "{d}");
        d
    }
}

#[track_caller]
pub fn expect(d: &Value, allowed: bool, reason: &str) {
    assert_eq!(d["allowed"], allowed, "{d}");
    assert_eq!(d["reason"], reason, "{d}");
}

pub fn granted_by(d: &Value) -> Vec<String> {
    let mut names: Vec<String> = d["granted_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}
