//! The rules that join an application's fields.

use super::*;
use crate::actor::Actor;

fn app(client_type: ClientType, grants: &[GrantType], uris: &[&str]) -> Application {
    let now = OffsetDateTime::UNIX_EPOCH;
    Application {
        id: ApplicationId::new(now),
        business_id: BusinessId::new(now),
        name: ApplicationName::parse("Portal").unwrap(),
        client_type,
        first_party: true,
        redirect_uris: uris
            .iter()
            .map(|u| RedirectUri::parse(u).unwrap())
            .collect(),
        post_logout_redirect_uris: Vec::new(),
        backchannel_logout_uri: None,
        allowed_scopes: BTreeSet::new(),
        grant_types: grants.iter().copied().collect(),
        require_mfa: false,
        access_token_ttl: ACCESS_TOKEN_TTL.default_lifetime(),
        refresh_token_ttl: REFRESH_TOKEN_TTL.default_lifetime(),
        id_token_ttl: ID_TOKEN_TTL.default_lifetime(),
        id_token_signed_response_alg: SigningAlg::default(),
        secret_hash: None,
        secret_rotated_at: None,
        service_key_id: None,
        created_by: Actor::operator(),
        created_at: now,
        updated_at: now,
    }
}

const CB: &str = "https://app.example.com/cb";

#[test]
fn openid_is_always_allowed_and_uris_are_kept_once() {
    let mut a = app(
        ClientType::Public,
        &[GrantType::AuthorizationCode],
        &[CB, "http://localhost:3000/cb", CB],
    );
    a.normalise_and_check().unwrap();
    assert!(a.allows_scope(Scope::OpenId));
    assert_eq!(a.redirect_uris.len(), 2);
    assert!(a.has_redirect_uri(CB));
    assert!(!a.has_redirect_uri("https://app.example.com/cb/"));
    assert_eq!(a.client_id(), a.id.to_string());
}

#[test]
fn grant_types_fit_the_client() {
    let code = |mut a: Application| a.normalise_and_check().unwrap_err().code();
    assert_eq!(
        code(app(
            ClientType::Public,
            &[GrantType::ClientCredentials],
            &[]
        )),
        "invalid_grant_types"
    );
    assert_eq!(
        code(app(ClientType::Confidential, &[], &[CB])),
        "invalid_grant_types"
    );
    assert_eq!(
        code(app(
            ClientType::Confidential,
            &[GrantType::RefreshToken],
            &[CB]
        )),
        "invalid_grant_types"
    );
    assert_eq!(
        code(app(
            ClientType::Confidential,
            &[GrantType::AuthorizationCode],
            &[]
        )),
        "invalid_redirect_uri"
    );
    let mut service = app(
        ClientType::Confidential,
        &[GrantType::ClientCredentials],
        &[],
    );
    service.normalise_and_check().unwrap();
}

#[test]
fn lifetimes_stay_within_bounds() {
    assert_eq!(
        ACCESS_TOKEN_TTL.check(59).unwrap_err().details()["field"],
        "access_token_ttl_secs"
    );
    assert!(ACCESS_TOKEN_TTL.check(3600).is_ok());
    assert!(REFRESH_TOKEN_TTL.check(90 * 86_400 + 1).is_err());
    assert!(ID_TOKEN_TTL.check(60).is_ok());
    let mut a = app(ClientType::Public, &[GrantType::AuthorizationCode], &[CB]);
    a.id_token_ttl = Duration::hours(2);
    assert_eq!(
        a.normalise_and_check().unwrap_err().code(),
        "invalid_token_lifetime"
    );
    let mut many = app(ClientType::Public, &[GrantType::AuthorizationCode], &[]);
    many.redirect_uris = (0..=MAX_URIS)
        .map(|i| RedirectUri::parse(&format!("https://app.example.com/{i}")).unwrap())
        .collect();
    assert_eq!(
        many.normalise_and_check().unwrap_err().code(),
        "invalid_redirect_uri"
    );
}
