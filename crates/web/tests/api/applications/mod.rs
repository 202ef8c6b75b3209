//! Applications (OpenID Connect clients) through the API: registering confidential and
//! public clients (the secret shown once, never listed), the rules of their settings,
//! rotating secrets, the client credentials grant's service rights, and who may do it.

mod secrets;
mod service;
mod settings;

use gatehouse_domain::application::Application;
use gatehouse_domain::ids::BusinessId;
use serde_json::{Value, json};

use crate::helpers::{App, Fixture};

pub const CB: &str = "https://portal.example.com/callback";

/// A confidential web application's settings.
pub fn web_app(name: &str) -> Value {
    json!({
        "name": name,
        "client_type": "confidential",
        "first_party": true,
        "redirect_uris": [CB, "http://127.0.0.1:8080/callback"],
        "post_logout_redirect_uris": ["https://portal.example.com/"],
        "backchannel_logout_uri": "https://portal.example.com/backchannel-logout",
    })
}

pub fn business_id(f: &Fixture) -> BusinessId {
    f.business["id"].as_str().unwrap().parse().unwrap()
}

/// The application as the sign-in flows see it (no caller), by its `client_id`.
pub async fn by_client_id(app: &App, f: &Fixture, client_id: &Value) -> Option<Application> {
    app.gh
        .application_by_client_id(business_id(f), client_id.as_str().unwrap())
        .await
        .unwrap()
}
