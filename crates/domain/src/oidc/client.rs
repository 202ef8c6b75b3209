//! What the flows ask of an application, in the flows' vocabulary: whether it may use a
//! grant type, the scopes it may ask for, and signing tokens with its algorithm.

use serde::Serialize;

use super::protocol::Scopes;
use crate::Gatehouse;
use crate::application::{self, Application, GrantType};
use crate::error::Result;

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

impl Gatehouse {
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
