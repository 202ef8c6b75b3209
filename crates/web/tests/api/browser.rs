//! A browser for tests: keeps cookies, does not follow redirects, fills forms with the CSRF
//! token of the page it got them from. And the account flows built on it: accept an
//! invitation from its mail, sign in, enrol in MFA.

use std::collections::BTreeMap;

use gatehouse_domain::Clock;
use gatehouse_domain::auth::totp;
use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::App;

pub const SESSION: &str = "__Host-gh_session";

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The `value` of the input named `name`.
    pub fn input(&self, name: &str) -> Option<String> {
        let at = self.body.find(&format!("name=\"{name}\" value=\""))?;
        let rest = &self.body[at + name.len() + 15..];
        Some(html_unescape(&rest[..rest.find('"')?]))
    }

    /// The text of the first element with `class="<class>"`.
    pub fn class_text(&self, class: &str) -> Option<String> {
        let at = self.body.find(&format!("class=\"{class}\""))?;
        let rest = &self.body[at..];
        let start = rest.find('>')? + 1;
        let end = rest[start..].find('<')? + start;
        Some(html_unescape(&rest[start..end]))
    }
}

pub fn html_unescape(s: &str) -> String {
    s.replace("&#43;", "+")
        .replace("&#61;", "=")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
}

pub struct Browser<'a> {
    pub app: &'a App,
    client: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
    /// Sent as `Origin` on every request when set.
    pub origin: Option<String>,
    /// Sent on every request, e.g. `X-Forwarded-For` as a proxy would add it.
    pub headers: Vec<(&'static str, String)>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a App) -> Self {
        Self {
            app,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
            origin: None,
            headers: Vec::new(),
        }
    }

    pub fn session(&self) -> Option<String> {
        self.cookies.get(SESSION).cloned()
    }

    /// The `Cookie` header this browser sends.
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn send(&mut self, req: reqwest::RequestBuilder) -> Resp {
        let mut req = req.header("cookie", self.cookie_header());
        if let Some(o) = &self.origin {
            req = req.header("origin", o);
        }
        for (name, value) in &self.headers {
            req = req.header(*name, value);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        for c in headers.get_all(SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        let body = res.text().await.unwrap();
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        let req = self.client.get(format!("{}{path}", self.app.base));
        self.send(req).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let req = self
            .client
            .post(format!("{}{path}", self.app.base))
            .form(fields);
        self.send(req).await
    }

    /// Opens `page`, then posts `fields` and its CSRF token to `action`.
    pub async fn submit(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) -> Resp {
        let form = self.get(page).await;
        assert_eq!(form.status, StatusCode::OK, "{page}: {}", form.body);
        let csrf = form
            .input("csrf")
            .expect("the page has a form with a CSRF token");
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    /// A JSON API call authenticated by the session cookie, with the CSRF header when given.
    pub async fn api(
        &mut self,
        method: Method,
        path: &str,
        csrf: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.app.base));
        if let Some(t) = csrf {
            req = req.header("x-csrf-token", t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(req).await
    }

    /// The CSRF token of the current session, as the account page carries it.
    pub async fn csrf(&mut self, slug: &str) -> String {
        let page = self.get(&format!("/b/{slug}/account")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        page.input("csrf").unwrap()
    }

    pub async fn sign_in(&mut self, slug: &str, email: &str, password: &str) -> Resp {
        let page = format!("/b/{slug}/sign-in");
        self.submit(&page, &page, &[("email", email), ("password", password)])
            .await
    }

    /// Enrols in TOTP from the enrolment page; returns the secret and the recovery codes.
    pub async fn enrol(&mut self, slug: &str) -> (Vec<u8>, Vec<String>) {
        let page = self.get(&format!("/b/{slug}/mfa/enrol")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("<svg"), "QR code shown");
        let secret_b32 = page.class_text("secret").unwrap();
        let secret = data_encoding::BASE32_NOPAD
            .decode(secret_b32.as_bytes())
            .unwrap();
        let code = self.app.totp(&secret, 0);
        let csrf = page.input("csrf").unwrap();
        let sealed = page.input("enrolment").unwrap();
        let done = self
            .post(
                &format!("/b/{slug}/mfa/enrol"),
                &[("csrf", &csrf), ("enrolment", &sealed), ("code", &code)],
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        let codes: Vec<String> = done
            .body
            .split("<li><code>")
            .skip(1)
            .map(|s| s[..s.find('<').unwrap()].to_owned())
            .collect();
        assert_eq!(codes.len(), 10);
        (secret, codes)
    }
}

impl App {
    /// The TOTP code at the test clock's time, `steps` steps away.
    pub fn totp(&self, secret: &[u8], steps: i64) -> String {
        totp::code_at(secret, totp::step_at(self.clock.now()) + steps)
    }

    /// Invites `email` into `groups` with `key`; returns the user.
    pub async fn invite(&self, key: &str, email: &str, groups: &[&str]) -> Value {
        let (status, user) = self
            .post(
                "/api/v1/users",
                key,
                json!({ "email": email, "group_ids": groups }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{user}");
        user
    }

    /// The path of the link in the `n`-th mail to `to` with `subject` (1-based).
    pub async fn mailed_link(&self, to: &str, subject: &str, n: usize) -> String {
        let mail = self
            .mail
            .wait_for(to, subject, n)
            .await
            .unwrap_or_else(|| panic!("no mail #{n} `{subject}` to {to}"));
        let link = mail.link(&self.base).expect("the mail has a link");
        link[self.base.len()..].to_owned()
    }

    /// Accepts the latest invitation of `email` with `password`; the browser is signed in
    /// (or at the step the MFA policy requires).
    pub async fn accept<'a>(
        &'a self,
        email: &str,
        password: &str,
        n: usize,
    ) -> (Browser<'a>, Resp) {
        let link = self.mailed_link(email, "invited", n).await;
        let mut b = Browser::new(self);
        let res = b.submit(&link, &link, &[("password", password)]).await;
        (b, res)
    }

    /// The business's audit actions, oldest first.
    pub async fn audit_actions(&self, key: &str) -> Vec<String> {
        let (status, page) = self.get("/api/v1/audit-events?limit=500", key).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let mut actions: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect();
        actions.reverse();
        actions
    }
}
