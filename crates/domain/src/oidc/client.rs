//! What the flows ask of an application, in the flows' vocabulary: whether it may use a
//! grant type, the scopes it may ask for, signing tokens with its algorithm; how a client
//! authenticates (RFC 6749 §2.3); and the audit events of what clients and users do.

use serde::Serialize;
use serde_json::json;

use super::protocol::OAuthError;
use super::protocol::Scopes;
use crate::Gatehouse;
use crate::application::ClientType;
use crate::application::{self, Application, GrantType};
use crate::audit::RequestContext;
use crate::error::Result;
use crate::model::{Business, User};
use crate::principal::Actor;
use crate::services::{Audit, user_target};

/// The flows' view of an application.
pub(crate) trait ClientRules {
    /// Whether it may use `grant_type` (`authorization_code`, `refresh_token`,
    /// `client_credentials`).
    fn allows_grant_type(&self, grant_type: &str) -> bool;
    /// The scopes it may ask for.
    fn scopes(&self) -> Scopes;
}

impl ClientRules for Application {
    fn allows_grant_type(&self, grant_type: &str) -> bool {
        GrantType::parse(grant_type).is_some_and(|g| self.allows_grant(g))
    }

    fn scopes(&self) -> Scopes {
        let names: Vec<&str> = self.allowed_scopes.iter().map(|s| s.as_str()).collect();
        Scopes::parse(&names.join(" ")).unwrap_or_default()
    }
}

/// How the client presented its credentials.
#[derive(Debug, Clone, Default)]
pub struct ClientCredentials {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Presented in the `Authorization: Basic` header (an `invalid_client` answer then
    /// carries `WWW-Authenticate`).
    pub basic: bool,
}

/// Who records what happens to an application's requests: Gatehouse itself (the client is
/// the event's target).
fn application_actor(_app: &Application) -> Actor {
    Actor::system()
}

impl Gatehouse {
    /// Authenticates the client of a token, introspection or revocation request:
    /// confidential clients by their secret (Basic or form), public ones by id alone.
    pub async fn authenticate_client(
        &self,
        ctx: &RequestContext,
        business: &Business,
        creds: &ClientCredentials,
    ) -> std::result::Result<Application, OAuthError> {
        let client_id = creds.client_id.as_deref().unwrap_or_default();
        let Some(app) = self
            .application_by_client_id(business.id, client_id)
            .await?
        else {
            return Err(OAuthError::invalid_client());
        };
        let ok = match (app.client_type, creds.client_secret.as_deref()) {
            (ClientType::Confidential, Some(secret)) => Self::verify_client_secret(&app, secret),
            (ClientType::Public, None) => true,
            _ => false,
        };
        if !ok {
            self.audit_client(ctx, &app, "oauth.client_auth_failed", json!({}))
                .await?;
            return Err(OAuthError::invalid_client());
        }
        Ok(app)
    }

    pub(crate) fn client_event(
        &self,
        ctx: &RequestContext,
        app: &Application,
        action: &str,
        detail: serde_json::Value,
    ) -> crate::audit::AuditEvent {
        let actor = application_actor(app);
        let audit = Audit::new(self.now(), Some(app.business_id), &actor, ctx);
        audit.event(
            action,
            ("application", app.id.to_string(), app.name.to_string()),
            None,
            Some(detail),
        )
    }

    pub(crate) fn user_event(
        &self,
        ctx: &RequestContext,
        user: &User,
        action: &str,
        detail: serde_json::Value,
    ) -> crate::audit::AuditEvent {
        let actor = crate::services::auth::self_actor(user);
        let audit = Audit::new(self.now(), Some(user.business_id), &actor, ctx);
        audit.event(action, user_target(user), None, Some(detail))
    }

    pub(crate) async fn audit_client(
        &self,
        ctx: &RequestContext,
        app: &Application,
        action: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        let event = self.client_event(ctx, app, action, detail);
        let tx = self.store().begin().await?;
        self.commit(tx, vec![event]).await
    }
    /// Signs `claims` as a JWT of type `typ` with the application's algorithm.
    pub(crate) fn sign_for(
        &self,
        app: &Application,
        typ: &str,
        claims: &impl Serialize,
    ) -> Result<String> {
        let alg = match app.id_token_signed_response_alg {
            application::SigningAlg::Es256 => super::SigningAlg::Es256,
            application::SigningAlg::Rs256 => super::SigningAlg::Rs256,
        };
        self.sign_jwt(alg, typ, claims)
    }

    /// Whether `presented` is the application's client secret (constant time).
    pub(crate) fn verify_client_secret(app: &Application, presented: &str) -> bool {
        super::applications::verify_client_secret(app, presented)
    }
}
