//! `sqlite()`/`postgres()`: a `TestServer` (fresh database, a server on a free port, a test
//! clock, a real SMTP listener), an operator token and a client.

use std::sync::Arc;

use gatehouse_domain::{Gatehouse, ManualClock};
use gatehouse_store::testing::Unavailable;
use gatehouse_web::testing::{SmtpReceiver, TestDatabase, TestServer, TestServerBuilder};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

pub use gatehouse_web::testing::OPERATOR_TOKEN as OPERATOR;

pub struct App {
    pub base: String,
    /// The node's `/metrics` (its own listener).
    pub metrics: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    /// The node's core, for what has no route yet (accepting invitations, MFA enrolment).
    pub gh: Gatehouse,
    /// The database (held so it outlives the test).
    pub db: Arc<TestDatabase>,
    /// Receives every mail the node sends, over real SMTP.
    pub mail: SmtpReceiver,
}

pub async fn sqlite() -> App {
    App::on(TestServer::builder().start().await.unwrap())
}

pub async fn postgres() -> Option<App> {
    match TestDatabase::postgres().await {
        Ok(db) => {
            let server = TestServer::builder().database(Arc::new(db));
            Some(App::on(server.start().await.unwrap()))
        }
        Err(Unavailable::Skipped) => {
            eprintln!(
                "notice: {} is not set; skipping the PostgreSQL run of this test",
                gatehouse_store::testing::POSTGRES_URL_VAR
            );
            None
        }
        Err(Unavailable::Failed(e)) => panic!("PostgreSQL test database unavailable: {e}"),
    }
}

/// Runs each named `async fn(App)` once per backend.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::helpers::sqlite().await).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some(app) = $crate::helpers::postgres().await { super::$name(app).await }
            })*
        }
    };
}

/// A business with two tenants and an all-powerful key, as most tests start.
pub struct Fixture {
    pub business: Value,
    pub tenants: Vec<Value>,
    pub admin_key: String,
}

impl App {
    fn on(server: TestServer) -> App {
        App {
            base: server.base,
            metrics: server.metrics,
            client: reqwest::Client::new(),
            clock: server.clock,
            gh: server.gh,
            db: server.db,
            mail: server.mail,
        }
    }

    /// Another node (its own engine and HTTP server) on this database, clock and mailbox.
    pub fn node(&self) -> TestServerBuilder {
        TestServer::builder()
            .database(self.db.clone())
            .clock(self.clock.clone())
            .mail(self.mail.clone())
    }

    /// This app's handles (its core, database, clock, mailbox) talking to `node`'s server.
    pub async fn through(&self, node: TestServerBuilder) -> App {
        let node = node.start().await.unwrap();
        App {
            base: node.base,
            metrics: node.metrics,
            client: self.client.clone(),
            clock: self.clock.clone(),
            gh: self.gh.clone(),
            db: self.db.clone(),
            mail: self.mail.clone(),
        }
    }

    pub fn request(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.request(method, path, token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        read(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, token, None).await
    }

    /// Creates a business, tenants `eu` and `us`, and a key holding every permission.
    pub async fn fixture(&self, slug: &str) -> Fixture {
        let (status, business) = self
            .post(
                "/api/v1/businesses",
                OPERATOR,
                json!({ "name": slug, "slug": slug }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{business}");
        let id = business["id"].as_str().unwrap().to_owned();
        let mut tenants = Vec::new();
        for t in ["eu", "us"] {
            let (status, tenant) = self
                .post(
                    &format!("/api/v1/businesses/{id}/tenants"),
                    OPERATOR,
                    json!({ "name": t, "slug": t }),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{tenant}");
            tenants.push(tenant);
        }
        let admin_key = self.key_for(&id, everything()).await;
        Fixture {
            business,
            tenants,
            admin_key,
        }
    }

    /// A key minted by the operator with exactly `permissions`.
    pub async fn key_for(&self, business: &str, permissions: Value) -> String {
        let (status, key) = self
            .post(
                &format!("/api/v1/businesses/{business}/api-keys"),
                OPERATOR,
                json!({ "name": "test key", "permissions": permissions, "acknowledge_sensitive": true }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{key}");
        key["token"].as_str().unwrap().to_owned()
    }

    /// Makes a pending user active, as accepting the invitation does.
    pub async fn activate(&self, business: &Value, user: &Value) {
        let b = business["id"].as_str().unwrap().parse().unwrap();
        let u = user["id"].as_str().unwrap().parse().unwrap();
        self.gh
            .activate_user(&Default::default(), b, u)
            .await
            .unwrap();
    }

    /// Records a confirmed MFA enrolment, as the enrolment flow does.
    pub async fn enrol_mfa(&self, business: &Value, user: &Value) {
        let b = business["id"].as_str().unwrap().parse().unwrap();
        let u = user["id"].as_str().unwrap().parse().unwrap();
        self.gh
            .set_mfa_enrolled(&Default::default(), b, u, true)
            .await
            .unwrap();
    }

    /// How many audit events the business has.
    pub async fn audit_count(&self, key: &str) -> usize {
        let (status, page) = self.get("/api/v1/audit-events?limit=500", key).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        page["items"].as_array().unwrap().len()
    }
}

pub async fn read(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// Every permission of the default catalog.
pub fn everything() -> Value {
    let env = [
        "verification.perform",
        "verification.view",
        "verification.view_original_selfie",
        "verification.delete",
        "verification.export",
        "verification.manual_decision",
        "flow_builder",
        "theme_designer",
        "developer_area",
        "analytics",
    ];
    json!({
        "business": ["users.view", "users.manage", "groups.manage", "audit.view", "settings.manage", "api_keys.manage", "applications.manage", "authz.check"],
        "live": env,
        "sandbox": env,
    })
}

/// Asserts an error response's status and code.
#[track_caller]
pub fn assert_error(got: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["error"]["code"], code, "{}", got.1);
    assert!(got.1["error"]["message"].is_string());
}

/// Percent-encodes everything but RFC 3986's unreserved characters (query values, forms).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
