//! Applications in storage: every setting read back as written, changes, deletion, the
//! internal service key kept out of the business's API keys, isolation between businesses,
//! and a secret rotation never undone by a concurrent change of settings.

use std::collections::BTreeSet;

use gatehouse_domain::application::{
    Application, ApplicationView, ClientType, GrantType, RedirectUri, Scope, SigningAlg,
};
use gatehouse_domain::catalog::PermissionKey;
use gatehouse_domain::grants::Grants;
use gatehouse_domain::ids::{ApplicationId, BusinessId};
use gatehouse_domain::oidc::applications::store::ApplicationReads;
use gatehouse_domain::oidc::applications::{
    ApplicationPatch, NewApplication, verify_client_secret,
};
use gatehouse_domain::principal::{ApiKeysManage, ApplicationsManage, BusinessAccess};
use gatehouse_domain::store::Store;
use gatehouse_domain::types::ApplicationName;
use time::Duration;

use crate::harness::Env;

crate::backend_tests!(
    settings_read_back,
    service_key_stays_internal,
    other_business_sees_nothing,
    rotation_survives_concurrent_changes,
);

fn uri(s: &str) -> RedirectUri {
    RedirectUri::parse(s).unwrap()
}

fn new_app(name: &str, grants: &[GrantType]) -> NewApplication {
    NewApplication {
        name: ApplicationName::parse(name).unwrap(),
        client_type: ClientType::Confidential,
        first_party: true,
        redirect_uris: vec![
            uri("https://app.example.com/cb"),
            uri("http://127.0.0.1:9/cb"),
        ],
        post_logout_redirect_uris: vec![uri("https://app.example.com/bye")],
        backchannel_logout_uri: Some(uri("https://app.example.com/logout")),
        allowed_scopes: [Scope::Email, Scope::GatehouseAccess].into(),
        grant_types: grants.iter().copied().collect(),
        require_mfa: true,
        access_token_ttl: Some(Duration::minutes(5)),
        refresh_token_ttl: None,
        id_token_ttl: Some(Duration::hours(1)),
        id_token_signed_response_alg: SigningAlg::Rs256,
        service_permissions: None,
        acknowledge_sensitive: false,
    }
}

/// Registers the confidential web application "Portal", as the operator.
async fn portal(
    env: &Env,
    access: &BusinessAccess<ApplicationsManage>,
) -> (ApplicationView, Option<String>) {
    let new = new_app("Portal", &[GrantType::AuthorizationCode]);
    env.gh
        .create_application(access, None, &env.ctx, new)
        .await
        .unwrap()
}

/// The application as stored.
async fn stored(env: &Env, business: BusinessId, id: ApplicationId) -> Option<Application> {
    env.db.store.get_application(business, id).await.unwrap()
}

async fn settings_read_back(env: Env) {
    let b = env.business("acme").await;
    let access = env.access::<ApplicationsManage>(b.id);
    let (view, secret) = portal(&env, &access).await;
    let secret = secret.unwrap();
    let saved = stored(&env, b.id, view.id).await.unwrap();
    assert_eq!(saved.name.as_str(), "Portal");
    assert_eq!(saved.client_type, ClientType::Confidential);
    assert!(saved.first_party && saved.require_mfa);
    assert_eq!(saved.redirect_uris[1].as_str(), "http://127.0.0.1:9/cb");
    assert_eq!(
        saved.post_logout_redirect_uris,
        vec![uri("https://app.example.com/bye")]
    );
    assert_eq!(
        saved.backchannel_logout_uri,
        Some(uri("https://app.example.com/logout"))
    );
    assert_eq!(
        saved.allowed_scopes,
        BTreeSet::from([Scope::OpenId, Scope::Email, Scope::GatehouseAccess])
    );
    assert_eq!(
        saved.grant_types,
        BTreeSet::from([GrantType::AuthorizationCode])
    );
    assert_eq!(saved.access_token_ttl, Duration::minutes(5));
    assert_eq!(saved.refresh_token_ttl, Duration::days(30), "the default");
    assert_eq!(saved.id_token_ttl, Duration::hours(1));
    assert_eq!(saved.id_token_signed_response_alg, SigningAlg::Rs256);
    assert_eq!(saved.secret_rotated_at, Some(env.gh.now()));
    assert_eq!(saved.service_key_id, None);
    assert_eq!(saved.created_by.kind.as_str(), "operator");
    assert!(verify_client_secret(&saved, &secret));

    env.clock.advance(Duration::minutes(1));
    let patch = ApplicationPatch {
        name: Some(ApplicationName::parse("Portal 2").unwrap()),
        backchannel_logout_uri: Some(None),
        require_mfa: Some(false),
        ..ApplicationPatch::default()
    };
    env.gh
        .update_application(&access, None, &env.ctx, view.id, patch)
        .await
        .unwrap();
    let changed = stored(&env, b.id, view.id).await.unwrap();
    assert_eq!(changed.name.as_str(), "Portal 2");
    assert_eq!(changed.backchannel_logout_uri, None);
    assert!(!changed.require_mfa);
    assert_eq!(changed.secret_hash, saved.secret_hash, "the secret stays");
    assert_eq!(changed.updated_at, env.gh.now());
    assert_eq!(changed.created_at, saved.created_at);

    let (public, none) = env
        .gh
        .create_application(
            &access,
            None,
            &env.ctx,
            NewApplication {
                client_type: ClientType::Public,
                ..new_app(
                    "Mobile",
                    &[GrantType::AuthorizationCode, GrantType::RefreshToken],
                )
            },
        )
        .await
        .unwrap();
    assert!(none.is_none() && !public.has_secret);
    let all = env.db.store.list_applications(b.id).await.unwrap();
    assert_eq!(
        all.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["Portal 2", "Mobile"]
    );
    env.gh
        .delete_application(&access, &env.ctx, view.id)
        .await
        .unwrap();
    assert!(stored(&env, b.id, view.id).await.is_none());
    assert_eq!(env.db.store.list_applications(b.id).await.unwrap().len(), 1);
}

async fn service_key_stays_internal(env: Env) {
    let b = env.business("acme").await;
    let access = env.access::<ApplicationsManage>(b.id);
    let keys = env.access::<ApiKeysManage>(b.id);
    let mut grants = Grants::default();
    grants
        .business
        .insert(PermissionKey::parse("authz.check").unwrap());
    let (view, _) = env
        .gh
        .create_application(
            &access,
            Some(&keys),
            &env.ctx,
            NewApplication {
                service_permissions: Some(grants.clone()),
                ..new_app("Sync", &[GrantType::ClientCredentials])
            },
        )
        .await
        .unwrap();
    assert_eq!(view.service_permissions, Some(grants));
    let app = stored(&env, b.id, view.id).await.unwrap();
    let key = app.service_key_id.unwrap();
    // The key exists (authentication finds it) but is no key of the business's list.
    assert!(env.db.store.get_api_key(key).await.unwrap().is_some());
    assert!(env.db.store.list_api_keys(b.id).await.unwrap().is_empty());
    assert_eq!(
        env.gh
            .revoke_api_key(&keys, &env.ctx, key)
            .await
            .unwrap_err()
            .code(),
        "api_key_not_found"
    );
    assert!(env.gh.service_principal_of(&app).await.is_ok());
    env.gh
        .delete_application(&access, &env.ctx, view.id)
        .await
        .unwrap();
    let revoked = env.db.store.get_api_key(key).await.unwrap().unwrap();
    assert!(
        revoked.key.revoked_at.is_some(),
        "revoked with its application"
    );
    assert!(env.db.store.list_api_keys(b.id).await.unwrap().is_empty());
    assert!(env.gh.service_principal_of(&app).await.is_err());
}

async fn other_business_sees_nothing(env: Env) {
    let a = env.business("acme").await;
    let b = env.business("globex").await;
    let (view, _) = portal(&env, &env.access::<ApplicationsManage>(a.id)).await;
    let other = env.access::<ApplicationsManage>(b.id);
    assert!(stored(&env, b.id, view.id).await.is_none());
    assert!(env.gh.list_applications(&other).await.unwrap().is_empty());
    for code in [
        env.gh
            .get_application(&other, view.id)
            .await
            .unwrap_err()
            .code(),
        env.gh
            .rotate_application_secret(&other, &env.ctx, view.id)
            .await
            .unwrap_err()
            .code(),
        env.gh
            .delete_application(&other, &env.ctx, view.id)
            .await
            .unwrap_err()
            .code(),
    ] {
        assert_eq!(code, "application_not_found");
    }
    let client_id = view.client_id.as_str();
    assert!(
        env.gh
            .application_by_client_id(b.id, client_id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        env.gh
            .application_by_client_id(a.id, client_id)
            .await
            .unwrap()
            .is_some()
    );
}

async fn rotation_survives_concurrent_changes(env: Env) {
    let b = env.business("acme").await;
    let access = env.access::<ApplicationsManage>(b.id);
    let (view, _) = portal(&env, &access).await;
    for round in 0..10 {
        let patch = ApplicationPatch {
            name: Some(ApplicationName::parse(&format!("Portal {round}")).unwrap()),
            ..ApplicationPatch::default()
        };
        let (rotated, changed) = tokio::join!(
            env.gh.rotate_application_secret(&access, &env.ctx, view.id),
            env.gh
                .update_application(&access, None, &env.ctx, view.id, patch),
        );
        let (_, secret) = rotated.unwrap();
        changed.unwrap();
        let app = stored(&env, b.id, view.id).await.unwrap();
        assert!(
            verify_client_secret(&app, &secret),
            "round {round}: the rotation was undone"
        );
        assert_eq!(app.name.as_str(), format!("Portal {round}"));
    }
}
