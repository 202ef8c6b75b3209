//! The discovery document of an issuer (OpenID Connect Discovery 1.0, RFC 8414): where its
//! endpoints are and what it supports. Every endpoint lives under the issuer, at
//! `{issuer}/oauth2/…`.

use serde::{Deserialize, Serialize};

use crate::alg::SigningAlg;

/// `/.well-known/openid-configuration` of one issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub jwks_uri: String,
    pub introspection_endpoint: String,
    pub revocation_endpoint: String,
    pub end_session_endpoint: String,
    pub response_types_supported: Vec<String>,
    pub response_modes_supported: Vec<String>,
    pub grant_types_supported: Vec<String>,
    pub code_challenge_methods_supported: Vec<String>,
    pub token_endpoint_auth_methods_supported: Vec<String>,
    pub introspection_endpoint_auth_methods_supported: Vec<String>,
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    pub id_token_signing_alg_values_supported: Vec<String>,
    pub subject_types_supported: Vec<String>,
    pub scopes_supported: Vec<String>,
    pub claims_supported: Vec<String>,
    pub claims_parameter_supported: bool,
    pub request_parameter_supported: bool,
    pub request_uri_parameter_supported: bool,
    pub prompt_values_supported: Vec<String>,
    pub authorization_response_iss_parameter_supported: bool,
    pub backchannel_logout_supported: bool,
    pub backchannel_logout_session_supported: bool,
    pub frontchannel_logout_supported: bool,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The client authentication methods of the token, introspection and revocation endpoints.
const CLIENT_AUTH: &[&str] = &["client_secret_basic", "client_secret_post", "none"];

impl ProviderMetadata {
    /// The document of `issuer` (no trailing slash, e.g. `https://id.example.com/b/acme`).
    pub fn new(issuer: &str) -> Self {
        let issuer = issuer.trim_end_matches('/');
        let at = |path: &str| format!("{issuer}/oauth2/{path}");
        let algs: Vec<String> = SigningAlg::ALL
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect();
        Self {
            issuer: issuer.to_owned(),
            authorization_endpoint: at("authorize"),
            token_endpoint: at("token"),
            userinfo_endpoint: at("userinfo"),
            jwks_uri: at("jwks"),
            introspection_endpoint: at("introspect"),
            revocation_endpoint: at("revoke"),
            end_session_endpoint: at("logout"),
            response_types_supported: strings(&["code"]),
            response_modes_supported: strings(&["query"]),
            grant_types_supported: strings(&[
                "authorization_code",
                "refresh_token",
                "client_credentials",
            ]),
            code_challenge_methods_supported: strings(&["S256"]),
            token_endpoint_auth_methods_supported: strings(CLIENT_AUTH),
            // Only confidential clients introspect; any client may revoke its own tokens.
            introspection_endpoint_auth_methods_supported: strings(&CLIENT_AUTH[..2]),
            revocation_endpoint_auth_methods_supported: strings(CLIENT_AUTH),
            id_token_signing_alg_values_supported: algs.clone(),
            subject_types_supported: strings(&["public"]),
            scopes_supported: strings(&[
                "openid",
                "profile",
                "email",
                "offline_access",
                "gatehouse:access",
            ]),
            claims_supported: strings(&[
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "acr",
                "amr",
                "sid",
                "azp",
                "name",
                "email",
                "email_verified",
                "business",
                "business_id",
                "groups",
                "permissions",
                "permissions_omitted",
            ]),
            claims_parameter_supported: false,
            request_parameter_supported: false,
            request_uri_parameter_supported: false,
            prompt_values_supported: strings(&["none", "login", "consent"]),
            authorization_response_iss_parameter_supported: true,
            backchannel_logout_supported: true,
            backchannel_logout_session_supported: true,
            frontchannel_logout_supported: false,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
