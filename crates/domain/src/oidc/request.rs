//! The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1), checked in two steps:
//! first the client and its redirect URI (a mistake there is shown to the user, never
//! redirected: it could be an open redirector), then everything else (a mistake there goes
//! back to the client as an error response).

use time::OffsetDateTime;

use super::client::ClientRules;
use super::protocol::{OAuthError, OAuthErrorCode, Scopes, is_s256_challenge};
use crate::Gatehouse;
use crate::application::Application;
use crate::error::Result;
use crate::model::Business;

/// The longest `state` and `nonce` kept; longer ones are refused.
const MAX_PARAM: usize = 512;

/// The parameters of an authorization request, as they came.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AuthorizeParams {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub response_mode: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub login_hint: Option<String>,
    pub request: Option<String>,
    pub request_uri: Option<String>,
    /// Set by Gatehouse when it sends the browser to sign in again (`prompt=login`, an
    /// exceeded `max_age`): a sign-in at or after this time (Unix seconds) satisfies them.
    pub auth_after: Option<String>,
}

/// Why an authorization request cannot even be answered to its client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientProblem {
    UnknownClient,
    MissingRedirectUri,
    UnregisteredRedirectUri,
}

impl ClientProblem {
    pub fn message(&self) -> &'static str {
        match self {
            Self::UnknownClient => "This application is not known to this business.",
            Self::MissingRedirectUri => "The application did not say where to return to.",
            Self::UnregisteredRedirectUri => {
                "The application asked to return to an address it has not registered."
            }
        }
    }
}

/// `prompt` (OIDC Core §3.1.2.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
}

/// A checked authorization request: its client and where the answer goes are known good.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub business: Business,
    pub application: Application,
    pub redirect_uri: String,
    pub scopes: Scopes,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub auth_after: Option<OffsetDateTime>,
}

impl Gatehouse {
    /// The first check: the client exists in the business and the redirect URI is one it
    /// registered, compared as exact strings.
    pub async fn authorization_client(
        &self,
        business: &Business,
        params: &AuthorizeParams,
    ) -> Result<std::result::Result<(Application, String), ClientProblem>> {
        let client_id = params.client_id.as_deref().unwrap_or_default();
        let Some(app) = self
            .application_by_client_id(business.id, client_id)
            .await?
        else {
            return Ok(Err(ClientProblem::UnknownClient));
        };
        let Some(uri) = params.redirect_uri.as_deref() else {
            return Ok(Err(ClientProblem::MissingRedirectUri));
        };
        if !app.redirect_uris.iter().any(|r| r.as_str() == uri) {
            return Ok(Err(ClientProblem::UnregisteredRedirectUri));
        }
        Ok(Ok((app, uri.to_owned())))
    }

    /// The second check: everything else about the request. An error here is answered to
    /// the client at its redirect URI: `Err` is that redirect.
    pub fn check_authorization(
        &self,
        business: Business,
        application: Application,
        redirect_uri: String,
        p: &AuthorizeParams,
    ) -> std::result::Result<AuthorizeRequest, (OAuthError, String)> {
        self.check_request(&business, &application, p)
            .map(|checked| AuthorizeRequest {
                business: business.clone(),
                application: application.clone(),
                redirect_uri: redirect_uri.clone(),
                ..checked
            })
            .map_err(|e| {
                let to = self.redirect_with(
                    &business,
                    &redirect_uri,
                    p.state.as_deref(),
                    &[
                        ("error", e.code.as_str()),
                        ("error_description", e.description.as_str()),
                    ],
                );
                (e, to)
            })
    }

    fn check_request(
        &self,
        business: &Business,
        application: &Application,
        p: &AuthorizeParams,
    ) -> std::result::Result<AuthorizeRequest, OAuthError> {
        use OAuthErrorCode as C;
        if p.request.is_some() {
            return Err(OAuthError::new(
                C::RequestNotSupported,
                "request objects are not supported",
            ));
        }
        if p.request_uri.is_some() {
            return Err(OAuthError::new(
                C::RequestUriNotSupported,
                "request_uri is not supported",
            ));
        }
        if p.response_type.as_deref() != Some("code") {
            return Err(OAuthError::new(
                C::UnsupportedResponseType,
                "only response_type=code is supported",
            ));
        }
        if p.response_mode.as_deref().is_some_and(|m| m != "query") {
            return Err(OAuthError::invalid_request(
                "only response_mode=query is supported",
            ));
        }
        if !application.allows_grant_type("authorization_code") {
            return Err(OAuthError::new(
                C::UnauthorizedClient,
                "the application may not use the authorization code flow",
            ));
        }
        let scopes = Scopes::parse(p.scope.as_deref().unwrap_or_default())
            .map_err(|s| OAuthError::new(C::InvalidScope, format!("unknown scope {s:?}")))?;
        if !scopes.is_subset_of(application.scopes()) {
            return Err(OAuthError::new(
                C::InvalidScope,
                "a requested scope is not allowed for this application",
            ));
        }
        let challenge = p.code_challenge.as_deref().unwrap_or_default();
        match p.code_challenge_method.as_deref() {
            Some("S256") => {}
            None | Some("plain") if !challenge.is_empty() => {
                return Err(OAuthError::invalid_request(
                    "code_challenge_method must be S256",
                ));
            }
            _ if challenge.is_empty() => {
                return Err(OAuthError::invalid_request(
                    "PKCE is required: code_challenge with code_challenge_method=S256",
                ));
            }
            _ => {
                return Err(OAuthError::invalid_request(
                    "code_challenge_method must be S256",
                ));
            }
        }
        if !is_s256_challenge(challenge) {
            return Err(OAuthError::invalid_request(
                "code_challenge is not an S256 challenge",
            ));
        }
        for (name, value) in [("state", &p.state), ("nonce", &p.nonce)] {
            if value.as_ref().is_some_and(|v| v.len() > MAX_PARAM) {
                return Err(OAuthError::invalid_request(format!("{name} is too long")));
            }
        }
        let mut prompt = Prompt::default();
        for value in p.prompt.as_deref().unwrap_or_default().split(' ') {
            match value {
                "" => {}
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                "select_account" => {}
                other => {
                    return Err(OAuthError::invalid_request(format!(
                        "unknown prompt value {:?}",
                        other.chars().take(32).collect::<String>()
                    )));
                }
            }
        }
        if prompt.none && (prompt.login || prompt.consent) {
            return Err(OAuthError::invalid_request(
                "prompt=none cannot be combined with other values",
            ));
        }
        let max_age = match p.max_age.as_deref() {
            None | Some("") => None,
            Some(raw) => Some(
                raw.parse::<i64>()
                    .ok()
                    .filter(|v| *v >= 0)
                    .ok_or_else(|| OAuthError::invalid_request("max_age must be seconds"))?,
            ),
        };
        let auth_after = p
            .auth_after
            .as_deref()
            .and_then(|raw| raw.parse::<i64>().ok())
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok());
        Ok(AuthorizeRequest {
            business: business.clone(),
            application: application.clone(),
            redirect_uri: String::new(),
            scopes,
            state: p.state.clone(),
            nonce: p.nonce.clone(),
            code_challenge: challenge.to_owned(),
            prompt,
            max_age,
            login_hint: p.login_hint.clone().filter(|h| h.len() <= 254),
            auth_after,
        })
    }
}
