//! Applications: the OpenID Connect clients of a business (the products and services that
//! sign users in through Gatehouse, the business being the issuer). Their `client_id` is the
//! application's id. A confidential client has a secret, of which only the SHA-256 is kept.

mod kinds;
mod uri;
mod view;

use std::collections::BTreeSet;

use time::{Duration, OffsetDateTime};

pub use kinds::{ClientType, GrantType, Scope, SigningAlg};
pub use uri::{MAX_URI_LEN, RedirectUri};
pub use view::ApplicationView;

use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::ids::{ApiKeyId, ApplicationId, BusinessId};
use crate::types::ApplicationName;

/// The most addresses of one kind an application may register.
pub const MAX_URIS: usize = 20;

/// The bounds and default of one token lifetime, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifetimeBounds {
    pub min: i64,
    pub max: i64,
    pub default: i64,
    /// The field that sets it (API and forms).
    pub field: &'static str,
}

impl LifetimeBounds {
    /// `secs` as a lifetime, if within the bounds (`invalid_token_lifetime` otherwise).
    pub fn check(&self, secs: i64) -> Result<Duration> {
        if secs < self.min || secs > self.max {
            return Err(Error::invalid(
                "invalid_token_lifetime",
                self.field,
                format!("must be {} to {} seconds", self.min, self.max),
            ));
        }
        Ok(Duration::seconds(secs))
    }

    pub fn default_lifetime(&self) -> Duration {
        Duration::seconds(self.default)
    }
}

/// Access tokens: 1 minute to 1 hour, 10 minutes by default.
pub const ACCESS_TOKEN_TTL: LifetimeBounds = LifetimeBounds {
    min: 60,
    max: 3600,
    default: 600,
    field: "access_token_ttl_secs",
};
/// Refresh tokens (the longest a sign-in lasts without a new one): 1 hour to 90 days, 30
/// days by default.
pub const REFRESH_TOKEN_TTL: LifetimeBounds = LifetimeBounds {
    min: 3600,
    max: 90 * 86_400,
    default: 30 * 86_400,
    field: "refresh_token_ttl_secs",
};
/// ID tokens: 1 minute to 1 hour, 10 minutes by default.
pub const ID_TOKEN_TTL: LifetimeBounds = LifetimeBounds {
    min: 60,
    max: 3600,
    default: 600,
    field: "id_token_ttl_secs",
};

/// An OpenID Connect client of one business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// Also its `client_id` ([`Application::client_id`]).
    pub id: ApplicationId,
    pub business_id: BusinessId,
    pub name: ApplicationName,
    pub client_type: ClientType,
    /// A first-party application signs users in without a consent screen; a third-party one
    /// asks for consent.
    pub first_party: bool,
    /// Where a sign-in may return, compared by exact string.
    pub redirect_uris: Vec<RedirectUri>,
    /// Where an RP-initiated sign-out may return, compared by exact string.
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    /// Where logout tokens are posted (OIDC Back-Channel Logout).
    pub backchannel_logout_uri: Option<RedirectUri>,
    /// The scopes it may ask for; `openid` is always among them.
    pub allowed_scopes: BTreeSet<Scope>,
    pub grant_types: BTreeSet<GrantType>,
    /// Its sign-ins need the second factor, whatever the business's MFA policy.
    pub require_mfa: bool,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub id_token_ttl: Duration,
    pub id_token_signed_response_alg: SigningAlg,
    /// SHA-256 of the client secret; `Some` exactly for confidential clients.
    pub secret_hash: Option<[u8; 32]>,
    pub secret_rotated_at: Option<OffsetDateTime>,
    /// The internal API key that holds its rights for the client credentials grant; `Some`
    /// exactly when it has that grant type.
    pub service_key_id: Option<ApiKeyId>,
    pub created_by: Actor,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Application {
    /// The OAuth `client_id`: the id's text form.
    pub fn client_id(&self) -> String {
        self.id.to_string()
    }

    pub fn is_confidential(&self) -> bool {
        self.client_type == ClientType::Confidential
    }

    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    pub fn allows_scope(&self, scope: Scope) -> bool {
        self.allowed_scopes.contains(&scope)
    }

    /// Whether `presented` is one of its redirect URIs, exactly.
    pub fn has_redirect_uri(&self, presented: &str) -> bool {
        self.redirect_uris.iter().any(|u| u.matches(presented))
    }

    /// Whether `presented` is one of its post-logout redirect URIs, exactly.
    pub fn has_post_logout_redirect_uri(&self, presented: &str) -> bool {
        self.post_logout_redirect_uris
            .iter()
            .any(|u| u.matches(presented))
    }

    /// Makes the settings consistent where that needs no decision (`openid` always allowed,
    /// each address once), then checks the rules that join fields: at least one grant type;
    /// `client_credentials` for confidential clients only; `refresh_token` only with
    /// `authorization_code`, which needs a redirect URI; lifetimes within their bounds.
    pub fn normalise_and_check(&mut self) -> Result<()> {
        self.allowed_scopes.insert(Scope::OpenId);
        for (uris, field) in [
            (&mut self.redirect_uris, "redirect_uris"),
            (
                &mut self.post_logout_redirect_uris,
                "post_logout_redirect_uris",
            ),
        ] {
            let mut seen = BTreeSet::new();
            uris.retain(|u| seen.insert(u.clone()));
            if uris.len() > MAX_URIS {
                return Err(Error::invalid(
                    "invalid_redirect_uri",
                    field,
                    format!("at most {MAX_URIS} addresses"),
                ));
            }
        }
        let invalid = |reason: &str| Error::invalid("invalid_grant_types", "grant_types", reason);
        if self.grant_types.is_empty() {
            return Err(invalid("must name at least one grant type"));
        }
        if self.allows_grant(GrantType::ClientCredentials) && !self.is_confidential() {
            return Err(invalid(
                "client_credentials is only for confidential clients (a public client has no secret)",
            ));
        }
        if self.allows_grant(GrantType::RefreshToken)
            && !self.allows_grant(GrantType::AuthorizationCode)
        {
            return Err(invalid("refresh_token needs authorization_code"));
        }
        if self.allows_grant(GrantType::AuthorizationCode) && self.redirect_uris.is_empty() {
            return Err(Error::invalid(
                "invalid_redirect_uri",
                "redirect_uris",
                "authorization_code needs at least one redirect URI",
            ));
        }
        for (ttl, bounds) in [
            (self.access_token_ttl, ACCESS_TOKEN_TTL),
            (self.refresh_token_ttl, REFRESH_TOKEN_TTL),
            (self.id_token_ttl, ID_TOKEN_TTL),
        ] {
            bounds.check(ttl.whole_seconds())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
