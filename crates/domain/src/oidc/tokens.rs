//! The token endpoint (RFC 6749 §3.2, §4.1.3, §6; RFC 9700): client authentication, the
//! code exchange, refresh with rotation and reuse detection, and the client credentials
//! grant. Every issue, refresh, reuse and refusal is audited.

use serde_json::json;
use time::OffsetDateTime;

use super::client::ClientRules;
use super::grants::{OAuthGrant, RefreshToken, Use};
use super::protocol::{OAuthError, OAuthErrorCode, Scopes, pkce_s256_matches};
use crate::Gatehouse;
use crate::application::{Application, ClientType};
use crate::audit::RequestContext;
use crate::auth::SecretToken;
use crate::error::Result;
use crate::model::Business;

/// How the token endpoint names a single-use secret's misuse: the refusal reason of an
/// unknown one, the grant revocation reason and audit action of a replayed one, and the two
/// `invalid_grant` descriptions.
struct SingleUse {
    unknown_reason: &'static str,
    unknown: &'static str,
    replay_reason: &'static str,
    replay_action: &'static str,
    replayed: &'static str,
}

const CODE: SingleUse = SingleUse {
    unknown_reason: "unknown_code",
    unknown: "the code is not valid",
    replay_reason: "code_replayed",
    replay_action: "oauth.code_replayed",
    replayed: "the code was already used",
};

const REFRESH_TOKEN: SingleUse = SingleUse {
    unknown_reason: "unknown_refresh_token",
    unknown: "the refresh token is not valid",
    replay_reason: "refresh_token_reused",
    replay_action: "oauth.refresh_token_reused",
    replayed: "the refresh token was already used",
};

/// A token request's form, as it came.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct TokenParams {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// A successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
}

impl Gatehouse {
    /// Answers a token request from an authenticated client.
    pub async fn token(
        &self,
        ctx: &RequestContext,
        business: &Business,
        app: &Application,
        p: &TokenParams,
    ) -> std::result::Result<TokenResponse, OAuthError> {
        let grant_type = p.grant_type.as_deref().unwrap_or_default();
        if !matches!(
            grant_type,
            "authorization_code" | "refresh_token" | "client_credentials"
        ) {
            return Err(OAuthError::new(
                OAuthErrorCode::UnsupportedGrantType,
                "grant_type must be authorization_code, refresh_token or client_credentials",
            ));
        }
        if !app.allows_grant_type(grant_type) {
            return Err(OAuthError::new(
                OAuthErrorCode::UnauthorizedClient,
                format!("the application may not use {grant_type}"),
            ));
        }
        match grant_type {
            "authorization_code" => self.exchange_code(ctx, business, app, p).await,
            "refresh_token" => self.refresh(ctx, business, app, p).await,
            _ => self.client_credentials(ctx, business, app).await,
        }
    }

    async fn exchange_code(
        &self,
        ctx: &RequestContext,
        business: &Business,
        app: &Application,
        p: &TokenParams,
    ) -> std::result::Result<TokenResponse, OAuthError> {
        let now = self.now();
        let Some(code) = p.code.as_deref().and_then(SecretToken::parse) else {
            return Err(OAuthError::invalid_grant("the code is not valid"));
        };
        let mut tx = self.store().begin().await?;
        let used = tx.use_oauth_code(&code.hash(), now).await?;
        // RFC 6749 §4.1.2: a code used twice revokes what it issued.
        let (mut tx, code) = self
            .first_use(tx, ctx, app, used, |c| c.grant_id, &CODE)
            .await?;
        let grant = tx.get_oauth_grant(code.grant_id).await?;
        let refusal = match &grant {
            None => Some("unknown_grant"),
            Some(g) if g.application_id != app.id => Some("other_client"),
            Some(_) if now >= code.expires_at => Some("code_expired"),
            Some(_) if p.redirect_uri.as_deref() != Some(code.redirect_uri.as_str()) => {
                Some("redirect_uri_mismatch")
            }
            Some(_)
                if !pkce_s256_matches(
                    p.code_verifier.as_deref().unwrap_or_default(),
                    &code.code_challenge,
                ) =>
            {
                Some("pkce_failed")
            }
            Some(g) if g.revoked_at.is_some() => Some("grant_revoked"),
            Some(_) => None,
        };
        if let Some(reason) = refusal {
            // The code stays used: a failed exchange burns it.
            let description = match reason {
                "code_expired" => "the code has expired",
                "redirect_uri_mismatch" => "redirect_uri does not match the authorization request",
                "pkce_failed" => "code_verifier does not match the code_challenge",
                _ => "the code is not valid",
            };
            let refused = (reason, code.grant_id, description);
            return Err(self.refuse_grant(tx, ctx, app, refused).await?);
        }
        let Some(grant) = grant else {
            return Err(OAuthError::invalid_grant("the code is not valid"));
        };
        let Some(live) = self.live_grant_in(tx.as_mut(), grant.clone(), now).await? else {
            let refused = (
                "session_ended",
                grant.id,
                "the sign-in this code came from has ended",
            );
            return Err(self.refuse_grant(tx, ctx, app, refused).await?);
        };
        let refresh = self
            .new_refresh_token(tx.as_mut(), app, &grant, now)
            .await?;
        let event = self.user_event(
            ctx,
            &live.user,
            "oauth.tokens_issued",
            json!({
                "application_id": app.id,
                "grant_id": grant.id,
                "scope": grant.scope,
                "refresh_token": refresh.is_some(),
            }),
        );
        self.commit(tx, vec![event]).await?;
        self.token_response(business, app, &live, &grant.scope, refresh, true)
            .await
    }

    async fn refresh(
        &self,
        ctx: &RequestContext,
        business: &Business,
        app: &Application,
        p: &TokenParams,
    ) -> std::result::Result<TokenResponse, OAuthError> {
        let now = self.now();
        let Some(token) = p.refresh_token.as_deref().and_then(SecretToken::parse) else {
            return Err(OAuthError::invalid_grant("the refresh token is not valid"));
        };
        let mut tx = self.store().begin().await?;
        let used = tx.use_refresh_token(&token.hash(), now).await?;
        // RFC 9700 §4.14.2: a rotated token used again means it leaked; the whole family
        // goes.
        let (mut tx, used) = self
            .first_use(tx, ctx, app, used, |t| t.grant_id, &REFRESH_TOKEN)
            .await?;
        let grant = tx
            .get_oauth_grant(used.grant_id)
            .await?
            .filter(|g| g.application_id == app.id && g.revoked_at.is_none());
        let live = match grant {
            Some(g) => self.live_grant_in(tx.as_mut(), g, now).await?,
            None => None,
        };
        let Some(live) = live else {
            let refused = (
                "grant_ended",
                used.grant_id,
                "the refresh token is no longer valid",
            );
            return Err(self.refuse_grant(tx, ctx, app, refused).await?);
        };
        let granted = Scopes::parse(&live.grant.scope).unwrap_or_default();
        let scope = match p.scope.as_deref() {
            None | Some("") => granted,
            Some(raw) => match Scopes::parse(raw) {
                Ok(s) if s.is_subset_of(granted) => s,
                _ => {
                    drop(tx);
                    return Err(OAuthError::new(
                        OAuthErrorCode::InvalidScope,
                        "scope may only narrow what was granted",
                    ));
                }
            },
        };
        if self.session_activity_due(&live.session, now) {
            tx.touch_session_by_id(live.session.id, now).await?;
        }
        let refresh = self
            .new_refresh_token(tx.as_mut(), app, &live.grant, now)
            .await?;
        let event = self.user_event(
            ctx,
            &live.user,
            "oauth.tokens_refreshed",
            json!({
                "application_id": app.id,
                "grant_id": live.grant.id,
                "scope": scope.as_string(),
            }),
        );
        self.commit(tx, vec![event]).await?;
        self.token_response(business, app, &live, &scope.as_string(), refresh, false)
            .await
    }

    async fn client_credentials(
        &self,
        ctx: &RequestContext,
        business: &Business,
        app: &Application,
    ) -> std::result::Result<TokenResponse, OAuthError> {
        if app.client_type != ClientType::Confidential || app.service_key_id.is_none() {
            return Err(OAuthError::new(
                OAuthErrorCode::UnauthorizedClient,
                "the application has no service access",
            ));
        }
        let now = self.now();
        let ttl = app.access_token_ttl;
        let claims = json!({
            "iss": self.issuer(business),
            "sub": app.id.to_string(),
            "aud": app.id.to_string(),
            "client_id": app.id.to_string(),
            "iat": now.unix_timestamp(),
            "exp": (now + ttl).unix_timestamp(),
            "jti": self.new_jti()?,
            "scope": "",
            "gty": "client_credentials",
            "business_id": business.id,
        });
        let access_token = self.sign_for(app, "at+jwt", &claims)?;
        self.audit_client(ctx, app, "oauth.client_token_issued", json!({}))
            .await?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: ttl.whole_seconds(),
            refresh_token: None,
            id_token: None,
            scope: String::new(),
        })
    }

    async fn new_refresh_token(
        &self,
        tx: &mut dyn crate::store::StoreTx,
        app: &Application,
        grant: &OAuthGrant,
        now: OffsetDateTime,
    ) -> Result<Option<String>> {
        if !app.allows_grant_type("refresh_token") {
            return Ok(None);
        }
        let token = SecretToken::generate(self.auth.entropy.as_ref())?;
        tx.insert_refresh_token(&RefreshToken {
            hash: token.hash(),
            grant_id: grant.id,
            created_at: now,
            used_at: None,
        })
        .await?;
        Ok(Some(token.encode()))
    }

    /// What marking a single-use secret (`names`) used found, for the token endpoint: its
    /// first use goes on with `tx`; an unknown one is refused and audited; a replayed one
    /// revokes its grant (every token it issued) in `tx`, audited, and is refused.
    async fn first_use<T>(
        &self,
        mut tx: Box<dyn crate::store::StoreTx>,
        ctx: &RequestContext,
        app: &Application,
        used: Use<T>,
        grant_of: fn(&T) -> crate::ids::OAuthGrantId,
        names: &SingleUse,
    ) -> std::result::Result<(Box<dyn crate::store::StoreTx>, T), OAuthError> {
        match used {
            Use::Fresh(secret) => Ok((tx, secret)),
            Use::Unknown => {
                drop(tx);
                let detail = json!({ "reason": names.unknown_reason });
                self.audit_client(ctx, app, "oauth.token_refused", detail)
                    .await?;
                Err(OAuthError::invalid_grant(names.unknown))
            }
            Use::Replayed(secret) => {
                let grant_id = grant_of(&secret);
                tx.revoke_oauth_grant(grant_id, self.now(), names.replay_reason)
                    .await?;
                let detail = json!({ "grant_id": grant_id });
                let event = self.client_event(ctx, app, names.replay_action, detail);
                self.commit(tx, vec![event]).await?;
                Err(OAuthError::invalid_grant(names.replayed))
            }
        }
    }

    /// Commits `tx` (what it marked used stays used) with the audited refusal of `app`'s
    /// request, `(reason, grant, description)`; the `invalid_grant` to answer.
    async fn refuse_grant(
        &self,
        tx: Box<dyn crate::store::StoreTx>,
        ctx: &RequestContext,
        app: &Application,
        (reason, grant_id, description): (&str, crate::ids::OAuthGrantId, &str),
    ) -> Result<OAuthError> {
        let detail = json!({ "reason": reason, "grant_id": grant_id });
        let event = self.client_event(ctx, app, "oauth.token_refused", detail);
        self.commit(tx, vec![event]).await?;
        Ok(OAuthError::invalid_grant(description))
    }

    pub(crate) fn new_jti(&self) -> Result<String> {
        Ok(SecretToken::generate(self.auth.entropy.as_ref())?.derive("jti"))
    }
}
