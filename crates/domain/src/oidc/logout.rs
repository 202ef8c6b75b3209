//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): an application sends the
//! browser to the end-session endpoint, with the ID token it holds as a hint and where to
//! come back. Gatehouse ends the browser session (which ends every grant made in it, and
//! sends the back-channel logouts) and returns only to an exactly registered address.

use serde::Deserialize;

use crate::Gatehouse;
use crate::application::Application;
use crate::error::Result;
use crate::model::Business;

/// The end-session request's parameters, as they came.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LogoutParams {
    pub id_token_hint: Option<String>,
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub ui_locales: Option<String>,
    pub logout_hint: Option<String>,
}

/// A checked end-session request.
#[derive(Debug, Clone, Default)]
pub struct LogoutRequest {
    pub application: Option<Application>,
    /// The user the hint names, when it was one of this business's ID tokens.
    pub hinted_user: Option<String>,
    /// Where to send the browser afterwards (with `state`), when it may go there.
    pub redirect: Option<String>,
}

#[derive(Debug, Deserialize)]
struct HintClaims {
    iss: String,
    sub: String,
    aud: serde_json::Value,
}

impl Gatehouse {
    /// Checks an end-session request. `Err` with a message for the person when the request
    /// names an address the application has not registered (nobody is redirected there).
    pub async fn check_logout(
        &self,
        business: &Business,
        p: &LogoutParams,
    ) -> Result<std::result::Result<LogoutRequest, &'static str>> {
        // An expired ID token is still a good hint (OIDC RP-Initiated Logout §2): only the
        // signature and the issuer are checked.
        let hint = p
            .id_token_hint
            .as_deref()
            .and_then(|t| self.verify_jwt::<HintClaims>(t, &["JWT"]).ok())
            .filter(|c| c.iss == self.issuer(business));
        let hint_client = hint.as_ref().and_then(|c| match &c.aud {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Array(a) => a.first().and_then(|v| v.as_str()).map(str::to_owned),
            _ => None,
        });
        if let (Some(a), Some(b)) = (&hint_client, &p.client_id)
            && a != b
        {
            return Ok(Err(
                "The sign-out request names two different applications.",
            ));
        }
        let client_id = p.client_id.clone().or(hint_client);
        let application = match client_id {
            Some(id) => self.application_by_client_id(business.id, &id).await?,
            None => None,
        };
        let redirect = match (&p.post_logout_redirect_uri, &application) {
            (None, _) => None,
            (Some(_), None) => {
                return Ok(Err(
                    "The sign-out request asks to return to an application it does not name.",
                ));
            }
            (Some(uri), Some(app)) => {
                if !app
                    .post_logout_redirect_uris
                    .iter()
                    .any(|r| r.as_str() == uri)
                {
                    return Ok(Err(
                        "The application asked to return to an address it has not registered.",
                    ));
                }
                let mut url = match url::Url::parse(uri) {
                    Ok(u) => u,
                    Err(_) => return Ok(Err("The return address is not valid.")),
                };
                if let Some(state) = &p.state {
                    url.query_pairs_mut().append_pair("state", state);
                }
                Some(String::from(url))
            }
        };
        Ok(Ok(LogoutRequest {
            application,
            hinted_user: hint.map(|c| c.sub),
            redirect,
        }))
    }
}
