//! Applications (OpenID Connect clients) of a business: managing them (`applications.manage`,
//! every change audited) and what the sign-in flows look up without a signed-in caller (an
//! application by its `client_id`, its secret, its service principal).
//!
//! An application with the `client_credentials` grant holds its rights through an internal
//! API key, made with the API-key machinery in the same transaction (so with the same rules:
//! no more than its creator holds, now and later, and `api_keys.manage` to grant them). The
//! key is not listed among the business's API keys and is revoked with its application.

mod changes;
mod secret;
mod service_key;
pub mod store;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use time::Duration;

pub use secret::{CLIENT_SECRET_PREFIX, verify_client_secret};

use crate::application::{
    Application, ApplicationView, ClientType, GrantType, RedirectUri, Scope, SigningAlg,
};
use crate::error::{Error, Result};
use crate::grants::Grants;
use crate::ids::ApplicationId;
use crate::ids::BusinessId;
use crate::principal::{ApplicationsManage, BusinessAccess, Principal};
use crate::services::Gatehouse;
use crate::types::ApplicationName;

/// An application to register. Lifetimes left `None` take their defaults.
#[derive(Debug, Clone)]
pub struct NewApplication {
    pub name: ApplicationName,
    pub client_type: ClientType,
    pub first_party: bool,
    pub redirect_uris: Vec<RedirectUri>,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    pub backchannel_logout_uri: Option<RedirectUri>,
    pub allowed_scopes: BTreeSet<Scope>,
    pub grant_types: BTreeSet<GrantType>,
    pub require_mfa: bool,
    pub access_token_ttl: Option<Duration>,
    pub refresh_token_ttl: Option<Duration>,
    pub id_token_ttl: Option<Duration>,
    pub id_token_signed_response_alg: SigningAlg,
    /// With `client_credentials`: the rights the service gets (no more than the caller's).
    pub service_permissions: Option<Grants>,
    /// The caller confirms granting sensitive permissions to the service.
    pub acknowledge_sensitive: bool,
}

/// A change to an application; `None` leaves a setting as it is. The client type cannot
/// change (register a new application instead).
#[derive(Debug, Clone, Default)]
pub struct ApplicationPatch {
    pub name: Option<ApplicationName>,
    pub first_party: Option<bool>,
    pub redirect_uris: Option<Vec<RedirectUri>>,
    pub post_logout_redirect_uris: Option<Vec<RedirectUri>>,
    /// `Some(None)` removes it.
    pub backchannel_logout_uri: Option<Option<RedirectUri>>,
    pub allowed_scopes: Option<BTreeSet<Scope>>,
    pub grant_types: Option<BTreeSet<GrantType>>,
    pub require_mfa: Option<bool>,
    pub access_token_ttl: Option<Duration>,
    pub refresh_token_ttl: Option<Duration>,
    pub id_token_ttl: Option<Duration>,
    pub id_token_signed_response_alg: Option<SigningAlg>,
    /// New rights for the service (replaces its internal key).
    pub service_permissions: Option<Grants>,
    pub acknowledge_sensitive: bool,
}

fn target(app: &Application) -> (&'static str, String, String) {
    ("application", app.id.to_string(), app.name.to_string())
}

/// What the audit trail records of an application's settings (never its secret).
fn settings(app: &Application) -> Value {
    json!({
        "name": app.name,
        "client_type": app.client_type,
        "first_party": app.first_party,
        "redirect_uris": app.redirect_uris,
        "post_logout_redirect_uris": app.post_logout_redirect_uris,
        "backchannel_logout_uri": app.backchannel_logout_uri,
        "allowed_scopes": app.allowed_scopes,
        "grant_types": app.grant_types,
        "require_mfa": app.require_mfa,
        "access_token_ttl_secs": app.access_token_ttl.whole_seconds(),
        "refresh_token_ttl_secs": app.refresh_token_ttl.whole_seconds(),
        "id_token_ttl_secs": app.id_token_ttl.whole_seconds(),
        "id_token_signed_response_alg": app.id_token_signed_response_alg,
        "service_key_id": app.service_key_id,
    })
}

impl Gatehouse {
    /// The business's applications, oldest first (never their secrets).
    pub async fn list_applications(
        &self,
        access: &BusinessAccess<ApplicationsManage>,
    ) -> Result<Vec<ApplicationView>> {
        let apps = self.store().list_applications(access.business_id()).await?;
        let mut views = Vec::with_capacity(apps.len());
        for app in apps {
            views.push(self.view_of(app).await?);
        }
        Ok(views)
    }

    /// One application of the business (never its secret).
    pub async fn get_application(
        &self,
        access: &BusinessAccess<ApplicationsManage>,
        id: ApplicationId,
    ) -> Result<ApplicationView> {
        let app = self
            .store()
            .get_application(access.business_id(), id)
            .await?
            .ok_or(Error::ApplicationNotFound)?;
        self.view_of(app).await
    }

    /// For the sign-in flows, with no signed-in caller: the application of `business` whose
    /// `client_id` is `client_id`, or `None` (also for a `client_id` that is no id at all).
    /// One indexed read, so a deleted application or a rotated secret is seen at once on
    /// every node.
    pub async fn application_by_client_id(
        &self,
        business_id: BusinessId,
        client_id: &str,
    ) -> Result<Option<Application>> {
        let Ok(id) = client_id.parse::<ApplicationId>() else {
            return Ok(None);
        };
        self.store().get_application(business_id, id).await
    }

    /// For a client credentials token: the principal the application acts as, exactly the
    /// one its internal API key would authenticate as (its grants, narrowed to what its
    /// creator holds now). `Unauthenticated` when it has no such grant or its key cannot act.
    pub async fn service_principal_of(&self, app: &Application) -> Result<Principal> {
        let key = app
            .service_key_id
            .filter(|_| app.allows_grant(GrantType::ClientCredentials))
            .ok_or(Error::Unauthenticated)?;
        let entry = self
            .key_entry(key)
            .await?
            .filter(|e| e.business_id == app.business_id)
            .ok_or(Error::Unauthenticated)?;
        self.principal_of_key(&entry).await
    }

    /// The view of `app`, with its service's rights as granted.
    async fn view_of(&self, app: Application) -> Result<ApplicationView> {
        let service = match app.service_key_id {
            Some(key) => self.key_entry(key).await?.map(|e| (*e.grants).clone()),
            None => None,
        };
        Ok(ApplicationView::new(app, service))
    }
}
