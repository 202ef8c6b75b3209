//! Steps many tests share: first-start setup with MFA enrolment, signing in, and seeding a
//! business with users through the core (what the CLI would do), so a test spends its time
//! on what it is about.

use gatehouse_domain::audit::RequestContext;
use gatehouse_domain::ids::BusinessId;
use gatehouse_domain::principal::{Principal, UsersManage};
use gatehouse_domain::services::NewUser;
use gatehouse_domain::types::{DisplayName, Email, Slug};
use reqwest::Method;
use serde_json::Value;

use crate::driver::Browser;
use crate::server::Server;

pub const PW: &str = "violet kettle marches north";

/// Fills and submits the first-start setup form, then enrols TOTP; returns the secret.
pub async fn set_up(srv: &Server, admin: &Browser) -> String {
    let link = srv.gh.prepare_setup().await.unwrap().expect("a setup link");
    admin.goto(&link).await;
    for (field, value) in [
        ("#business_name", "Acme Corp"),
        ("#business_slug", "acme"),
        ("#tenant_name", "United Kingdom"),
        ("#tenant_slug", "uk"),
        ("#email", "ada@acme.example"),
        ("#display_name", "Ada Lovelace"),
        ("#password", PW),
    ] {
        admin.fill(field, value).await;
    }
    admin.submit("button[type=submit]").await;
    let text = admin.text("body").await;
    assert_eq!(
        admin.path().await,
        "/b/acme/mfa/enrol",
        "MFA comes first: {text}"
    );
    enrol(srv, admin).await
}

/// Enrols TOTP on the enrolment page with a code computed from the displayed secret;
/// returns the secret (the user's authenticator app, in effect).
pub async fn enrol(srv: &Server, b: &Browser) -> String {
    assert!(b.exists("figure.qr svg").await, "a QR code is shown");
    let secret = b.text("code.secret").await;
    b.fill("#code", &srv.next_totp(&secret)).await;
    b.submit("button[type=submit]").await;
    assert!(
        b.main_text().await.contains("recovery codes"),
        "recovery codes are shown"
    );
    b.go("I have saved them — continue").await;
    secret
}

/// The id of business `slug`.
pub async fn business(srv: &Server, slug: &str) -> BusinessId {
    let slug = Slug::parse(slug).unwrap();
    srv.gh.business_by_slug(&slug).await.unwrap().unwrap().id
}

/// Invites `n` users `user-NN@acme.example` (pending, in no group), as the operator would.
pub async fn invite_many(srv: &Server, slug: &str, n: usize) {
    let id = business(srv, slug).await;
    let op = Principal::Operator.operator().unwrap();
    let access = op.in_business::<UsersManage>(id);
    for i in 0..n {
        let new = NewUser {
            email: Email::parse(&format!("user-{i:02}@acme.example")).unwrap(),
            display_name: DisplayName::parse(&format!("User {i:02}")).unwrap(),
            groups: Vec::new(),
        };
        srv.gh
            .create_user(&access, &RequestContext::default(), new)
            .await
            .unwrap();
    }
}

/// Invites one user (mailed), as the operator would.
pub async fn invite(srv: &Server, slug: &str, email: &str, name: &str) {
    let id = business(srv, slug).await;
    let op = Principal::Operator.operator().unwrap();
    let new = NewUser {
        email: Email::parse(email).unwrap(),
        display_name: DisplayName::parse(name).unwrap(),
        groups: Vec::new(),
    };
    srv.gh
        .create_user(
            &op.in_business::<UsersManage>(id),
            &RequestContext::default(),
            new,
        )
        .await
        .unwrap();
}

/// The visible form fields of the page that no label names (what axe calls "label").
pub async fn unlabelled_fields(b: &Browser) -> Vec<String> {
    let found = b
        .run(
            "return [...document.querySelectorAll('input, select, textarea')]
               .filter(e => e.type !== 'hidden' && e.offsetParent !== null)
               .filter(e => e.labels.length === 0 && !e.getAttribute('aria-label'))
               .map(e => e.outerHTML)",
        )
        .await;
    serde_json::from_value(found).unwrap()
}

/// Creates a group through the core (as the operator would): `kind` "business" or the
/// tenant slugs of a Tenants group, with `live` and `sandbox` permission keys.
pub async fn group(srv: &Server, name: &str, tenants: &[&str], live: &[&str], sandbox: &[&str]) {
    use gatehouse_domain::catalog::PermissionKey;
    use gatehouse_domain::grants::Grants;
    use gatehouse_domain::model::GroupKind;
    use gatehouse_domain::principal::GroupsManage;
    use gatehouse_domain::services::NewGroup;
    use gatehouse_domain::types::{Description, GroupName};
    let id = business(srv, "acme").await;
    let op = Principal::Operator.operator().unwrap();
    let all = srv.gh.list_business_tenants(&op, id).await.unwrap();
    let keys = |ks: &[&str]| {
        ks.iter()
            .map(|k| PermissionKey::parse(k).unwrap())
            .collect()
    };
    let new = NewGroup {
        name: GroupName::parse(name).unwrap(),
        description: Description::parse("").unwrap(),
        kind: if tenants.is_empty() {
            GroupKind::Business
        } else {
            GroupKind::Tenants
        },
        tenants: all
            .iter()
            .filter(|t| tenants.contains(&t.slug.as_str()))
            .map(|t| t.id)
            .collect(),
        grants: Grants {
            live: keys(live),
            sandbox: keys(sandbox),
            ..Grants::default()
        },
        acknowledge_sensitive: true,
    };
    srv.gh
        .create_group(
            &op.in_business::<GroupsManage>(id),
            &RequestContext::default(),
            new,
        )
        .await
        .unwrap();
}

/// Ada signs in on the sign-in page the browser is at: password, then the code of `app`.
pub async fn sign_in(srv: &Server, b: &Browser, app: &str) {
    assert_eq!(b.path().await, "/b/acme/sign-in");
    b.fill("#email", "ada@acme.example").await;
    b.fill("#password", PW).await;
    b.go("Sign in").await;
    assert_eq!(b.path().await, "/b/acme/mfa");
    b.fill("#code", &srv.next_totp(app)).await;
    b.go("Continue").await;
}

/// An API call with `token` that must succeed; its JSON answer.
pub async fn call(srv: &Server, method: Method, path: &str, token: &str, body: Value) -> Value {
    let res = reqwest::Client::new()
        .request(
            method,
            format!("{}{path}", srv.base.replace("localhost", "127.0.0.1")),
        )
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let answer: Value = res.json().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {answer}");
    answer
}
