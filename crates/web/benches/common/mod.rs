//! What the benches of this crate set up alike: a business whose one member, Dana, has
//! accepted her invitation with a password (MFA policy off, so a password signs her in),
//! an API key of the business, and a percentile of timed samples.

use std::time::Duration;

use gatehouse_domain::audit::RequestContext;
use gatehouse_domain::model::{Business, User};
use gatehouse_domain::principal::{ApiKeysManage, Principal, UsersManage};
use gatehouse_domain::services::{NewApiKey, NewUser};
use gatehouse_domain::types::{ApiKeyName, BusinessName, DisplayName, Email, Slug};
use gatehouse_web::testing::TestServer;

/// The business `name` (`slug`) with Dana signed up with `password`.
pub async fn business_with_dana(
    server: &TestServer,
    name: &str,
    slug: &str,
    password: &str,
) -> (Business, User) {
    let gh = &server.gh;
    let op = Principal::Operator.operator().unwrap();
    let ctx = RequestContext::default();
    let b = gh
        .create_business(
            &op,
            &ctx,
            BusinessName::parse(name).unwrap(),
            Slug::parse(slug).unwrap(),
        )
        .await
        .unwrap();
    gh.update_security_settings(
        &op.in_business(b.id),
        &ctx,
        gatehouse_domain::services::SettingsPatch {
            mfa_policy: Some(gatehouse_domain::model::MfaPolicy::Off),
            passkey_policy: None,
            mfa_grace_days: None,
        },
    )
    .await
    .unwrap();
    let user = gh
        .create_user(
            &op.in_business::<UsersManage>(b.id),
            &ctx,
            NewUser {
                email: Email::parse("dana@example.com").unwrap(),
                display_name: DisplayName::parse("Dana").unwrap(),
                groups: vec![],
            },
        )
        .await
        .unwrap();
    server
        .accept_invitation("dana@example.com", password)
        .await
        .unwrap();
    (b, user)
}

/// An API key of `business` with the business permission `permission`.
pub async fn api_key(server: &TestServer, business: &Business, permission: &str) -> String {
    let op = Principal::Operator.operator().unwrap();
    let mut grants = gatehouse_domain::grants::Grants::default();
    grants
        .business
        .insert(gatehouse_domain::catalog::PermissionKey::parse(permission).unwrap());
    let (_, key) = server
        .gh
        .create_api_key(
            &op.in_business::<ApiKeysManage>(business.id),
            &RequestContext::default(),
            NewApiKey {
                name: ApiKeyName::parse("bench").unwrap(),
                expires_at: None,
                grants,
                acknowledge_sensitive: true,
            },
        )
        .await
        .unwrap();
    key
}

/// The `p` percentile (0–1) of `samples`, in milliseconds.
pub fn percentile_ms(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i].as_secs_f64() * 1000.0
}
