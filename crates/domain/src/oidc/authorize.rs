//! The authorization endpoint (RFC 6749 §4.1, OIDC Core §3.1.2, RFC 9700): the
//! authorization code flow with PKCE S256 only. A request is checked in two steps: first the
//! client and its redirect URI (a mistake there is shown to the user, never redirected:
//! it could be an open redirector), then everything else (a mistake there goes back to the
//! client as an error response). Then the browser session decides: sign in (again), consent,
//! or a code.

use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::grants::{AuthCode, OAuthGrant};
use super::protocol::{OAuthError, OAuthErrorCode, Scopes};
use super::request::AuthorizeRequest;
use crate::Gatehouse;
use crate::application::Application;
use crate::audit::RequestContext;
use crate::auth::{SecretToken, Session, SessionStage};
use crate::authz::MfaRequirement;
use crate::error::{Error, Result};
use crate::ids::OAuthGrantId;
use crate::model::{Business, User, UserStatus};
use crate::services::{Audit, user_target};

/// How long an authorization code may be exchanged (RFC 9700 recommends a short life).
pub const CODE_TTL: Duration = Duration::seconds(60);

/// What the browser must do next.
#[derive(Debug)]
pub enum AuthorizeStep {
    /// Sign in (again); `require_mfa`: with a second factor. Come back to the same request
    /// with `auth_after` set.
    SignIn {
        login_hint: Option<String>,
        require_mfa: bool,
        auth_after: Option<OffsetDateTime>,
    },
    /// Ask the user to approve the application's access.
    Consent,
    /// Go back to the client: with a code, or with an error.
    Redirect(String),
}

impl Gatehouse {
    /// Decides the request for the browser's session (if any). `consented`: the user has
    /// just approved the request on the consent page.
    pub async fn authorize(
        &self,
        ctx: &RequestContext,
        req: &AuthorizeRequest,
        session: Option<&Session>,
        consented: bool,
    ) -> std::result::Result<AuthorizeStep, OAuthError> {
        let now = self.now();
        let app = &req.application;
        let user = match session {
            Some(s) if s.stage == SessionStage::Full && s.business_id == req.business.id => {
                match self.session_user(s).await {
                    Ok(u) if u.status == UserStatus::Active => Some((s, u)),
                    Ok(_) | Err(Error::Unauthenticated) => None,
                    Err(e) => return Err(e.into()),
                }
            }
            _ => None,
        };
        let fresh_enough = |s: &Session| {
            let after = req.auth_after.is_some_and(|t| s.authenticated_at >= t);
            let login_ok = !req.prompt.login || after;
            let age_ok = req
                .max_age
                .is_none_or(|m| after || (now - s.authenticated_at).whole_seconds() <= m);
            login_ok && age_ok
        };
        let Some((session, user)) = user.filter(|(s, _)| fresh_enough(s)) else {
            if req.prompt.none {
                return Err(OAuthError::new(
                    OAuthErrorCode::LoginRequired,
                    "the user is not signed in",
                ));
            }
            return Ok(AuthorizeStep::SignIn {
                login_hint: req.login_hint.clone(),
                require_mfa: app.require_mfa,
                auth_after: (req.prompt.login || req.max_age.is_some()).then_some(now),
            });
        };
        if session.mfa_at.is_none() && self.needs_mfa(app, &user, now).await? {
            if req.prompt.none {
                return Err(OAuthError::new(
                    OAuthErrorCode::InteractionRequired,
                    "a second factor is required",
                ));
            }
            self.audit_oauth(ctx, &user, app, "oauth.mfa_required", json!({}))
                .await?;
            return Ok(AuthorizeStep::SignIn {
                login_hint: Some(user.email.to_string()),
                require_mfa: true,
                auth_after: Some(now),
            });
        }
        if !consented && self.needs_consent(req, &user).await? {
            if req.prompt.none {
                return Err(OAuthError::new(
                    OAuthErrorCode::ConsentRequired,
                    "the user has not approved this application",
                ));
            }
            return Ok(AuthorizeStep::Consent);
        }
        let code = self.issue_code(ctx, req, session, &user, consented).await?;
        Ok(AuthorizeStep::Redirect(
            self.authorization_response(req, &[("code", code.as_str())]),
        ))
    }

    /// The user declined on the consent page.
    pub async fn deny_authorization(
        &self,
        ctx: &RequestContext,
        req: &AuthorizeRequest,
        session: &Session,
    ) -> Result<String> {
        let user = self.session_user(session).await?;
        self.audit_oauth(
            ctx,
            &user,
            &req.application,
            "oauth.consent_denied",
            json!({}),
        )
        .await?;
        Ok(self.error_response(
            req,
            &OAuthError::new(OAuthErrorCode::AccessDenied, "the user declined"),
        ))
    }

    /// Whether signing in to `app` needs a second factor from `user` now: the application
    /// requires it, the user has one, or the business's policy requires it now.
    async fn needs_mfa(&self, app: &Application, user: &User, now: OffsetDateTime) -> Result<bool> {
        if app.require_mfa || user.mfa_enrolled {
            return Ok(true);
        }
        let snapshot = self
            .engine
            .snapshot_or_load(self.store(), user.business_id)
            .await?;
        Ok(matches!(
            snapshot.mfa_requirement(user.id, now),
            Some(MfaRequirement::Required | MfaRequirement::Enrolled)
        ))
    }

    /// Third-party applications ask once per scope set (and whenever `prompt=consent`);
    /// first-party ones only on `prompt=consent`.
    async fn needs_consent(&self, req: &AuthorizeRequest, user: &User) -> Result<bool> {
        if req.prompt.consent {
            return Ok(true);
        }
        if req.application.first_party {
            return Ok(false);
        }
        let given = self
            .store()
            .get_consent(user.id, req.application.id)
            .await?;
        Ok(!given
            .and_then(|s| Scopes::parse(&s).ok())
            .is_some_and(|given| req.scopes.is_subset_of(given)))
    }

    async fn issue_code(
        &self,
        ctx: &RequestContext,
        req: &AuthorizeRequest,
        session: &Session,
        user: &User,
        consented: bool,
    ) -> Result<String> {
        let now = self.now();
        let app = &req.application;
        let grant = OAuthGrant {
            id: OAuthGrantId::new(now),
            business_id: req.business.id,
            application_id: app.id,
            user_id: user.id,
            session_id: session.id,
            scope: req.scopes.as_string(),
            nonce: req.nonce.clone(),
            auth_time: session.authenticated_at,
            mfa: session.mfa_at.is_some(),
            mfa_method: session.mfa_method.filter(|_| session.mfa_at.is_some()),
            created_at: now,
            expires_at: (now + app.refresh_token_ttl).min(session.expires_at),
            revoked_at: None,
        };
        let code = SecretToken::generate(self.auth.entropy.as_ref())?;
        let mut tx = self.store().begin().await?;
        tx.insert_oauth_grant(&grant).await?;
        tx.insert_oauth_code(&AuthCode {
            hash: code.hash(),
            grant_id: grant.id,
            redirect_uri: req.redirect_uri.clone(),
            code_challenge: req.code_challenge.clone(),
            created_at: now,
            expires_at: now + CODE_TTL,
            used_at: None,
        })
        .await?;
        let mut events = Vec::new();
        let actor = crate::services::auth::self_actor(user);
        let audit = Audit::new(now, Some(user.business_id), &actor, ctx);
        if consented {
            tx.put_consent(user.id, app.id, &grant.scope, now).await?;
            events.push(audit.event(
                "oauth.consent_granted",
                user_target(user),
                None,
                Some(json!({ "application_id": app.id, "scope": grant.scope })),
            ));
        }
        events.push(audit.event(
            "oauth.code_issued",
            user_target(user),
            None,
            Some(json!({
                "application_id": app.id,
                "grant_id": grant.id,
                "scope": grant.scope,
                "session_id": session.id,
                "mfa": grant.mfa,
            })),
        ));
        self.commit(tx, events).await?;
        Ok(code.encode())
    }

    /// The redirect back to the client with `params`, `state` and `iss` (RFC 9207).
    pub fn authorization_response(
        &self,
        req: &AuthorizeRequest,
        params: &[(&str, &str)],
    ) -> String {
        self.redirect_with(
            &req.business,
            &req.redirect_uri,
            req.state.as_deref(),
            params,
        )
    }

    pub(crate) fn redirect_with(
        &self,
        business: &Business,
        redirect_uri: &str,
        state: Option<&str>,
        params: &[(&str, &str)],
    ) -> String {
        let mut url = match url::Url::parse(redirect_uri) {
            Ok(u) => u,
            // Registered URIs are parsed when they are registered: this cannot happen.
            Err(_) => return redirect_uri.to_owned(),
        };
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in params {
                q.append_pair(k, v);
            }
            if let Some(state) = state {
                q.append_pair("state", state);
            }
            q.append_pair("iss", &self.issuer(business));
        }
        url.into()
    }

    /// The redirect back to the client with an error.
    pub fn error_response(&self, req: &AuthorizeRequest, e: &OAuthError) -> String {
        self.authorization_response(
            req,
            &[
                ("error", e.code.as_str()),
                ("error_description", e.description.as_str()),
            ],
        )
    }

    /// The issuer identifier of a business: `{public_url}/b/{slug}`.
    pub fn issuer(&self, business: &Business) -> String {
        format!(
            "{}/b/{}",
            self.auth.config.public_url.trim_end_matches('/'),
            business.slug
        )
    }

    pub(crate) async fn audit_oauth(
        &self,
        ctx: &RequestContext,
        user: &User,
        app: &Application,
        action: &str,
        mut detail: serde_json::Value,
    ) -> Result<()> {
        let actor = crate::services::auth::self_actor(user);
        let audit = Audit::new(self.now(), Some(user.business_id), &actor, ctx);
        detail["application_id"] = json!(app.id);
        let event = audit.event(action, user_target(user), None, Some(detail));
        let tx = self.store().begin().await?;
        self.commit(tx, vec![event]).await
    }
}
