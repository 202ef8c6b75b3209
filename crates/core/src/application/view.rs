//! An application as the API, the CLI and the dashboard show it: never its secret or the
//! secret's hash, only whether it has one and when it was last set.

use serde::Serialize;
use time::OffsetDateTime;

use super::{Application, ClientType, GrantType, RedirectUri, Scope, SigningAlg};
use crate::actor::Actor;
use crate::grants::Grants;
use crate::ids::{ApplicationId, BusinessId};
use crate::types::ApplicationName;

/// An application, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ApplicationView {
    pub id: ApplicationId,
    /// The OAuth `client_id` (the id, as text).
    pub client_id: String,
    pub business_id: BusinessId,
    pub name: ApplicationName,
    pub client_type: ClientType,
    /// First-party applications sign users in without a consent screen.
    pub first_party: bool,
    pub redirect_uris: Vec<RedirectUri>,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    pub backchannel_logout_uri: Option<RedirectUri>,
    /// Always includes `openid`.
    pub allowed_scopes: Vec<Scope>,
    pub grant_types: Vec<GrantType>,
    pub require_mfa: bool,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    pub id_token_ttl_secs: i64,
    pub id_token_signed_response_alg: SigningAlg,
    /// Whether it has a client secret (confidential clients).
    pub has_secret: bool,
    /// When the secret was last set (created or rotated).
    #[serde(with = "time::serde::rfc3339::option")]
    pub secret_rotated_at: Option<OffsetDateTime>,
    /// The rights it uses with the client credentials grant (no more than its creator's
    /// now); absent without that grant type.
    pub service_permissions: Option<Grants>,
    pub created_by: Actor,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl ApplicationView {
    /// The view of `app`, whose service key holds `service_permissions`.
    pub fn new(app: Application, service_permissions: Option<Grants>) -> Self {
        Self {
            id: app.id,
            client_id: app.client_id(),
            business_id: app.business_id,
            client_type: app.client_type,
            first_party: app.first_party,
            redirect_uris: app.redirect_uris,
            post_logout_redirect_uris: app.post_logout_redirect_uris,
            backchannel_logout_uri: app.backchannel_logout_uri,
            allowed_scopes: app.allowed_scopes.into_iter().collect(),
            grant_types: app.grant_types.into_iter().collect(),
            require_mfa: app.require_mfa,
            access_token_ttl_secs: app.access_token_ttl.whole_seconds(),
            refresh_token_ttl_secs: app.refresh_token_ttl.whole_seconds(),
            id_token_ttl_secs: app.id_token_ttl.whole_seconds(),
            id_token_signed_response_alg: app.id_token_signed_response_alg,
            has_secret: app.secret_hash.is_some(),
            secret_rotated_at: app.secret_rotated_at,
            service_permissions: service_permissions.filter(|_| app.service_key_id.is_some()),
            created_by: app.created_by,
            created_at: app.created_at,
            updated_at: app.updated_at,
            name: app.name,
        }
    }
}
