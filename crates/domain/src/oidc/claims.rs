//! What the tokens say: the ID token (OIDC Core §2), the JWT access token (RFC 9068), the
//! userinfo answer (OIDC Core §5.3), and the access claim of the `gatehouse:access` scope.
//! Then the resource side: checking a presented access token (userinfo, introspection),
//! introspection (RFC 7662) and revocation (RFC 7009).

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::live::LiveGrant;
use super::protocol::{ACCESS_SCOPE, OAuthError, OAuthErrorCode, Scopes};
use super::tokens::TokenResponse;
use crate::Gatehouse;
use crate::application::Application;
use crate::audit::RequestContext;
use crate::auth::{MfaMethod, SecretToken};
use crate::authz::access_claim;
use crate::error::Result;
use crate::ids::OAuthGrantId;
use crate::model::{Business, User, UserStatus};

/// Above this size (bytes of JSON) the access claim is left out of tokens, with a marker:
/// the application then asks the decision API.
pub const MAX_ACCESS_CLAIM: usize = 4096;

/// The claims of a Gatehouse access token that the resource side reads back.
#[derive(Debug, Clone, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub client_id: String,
    pub exp: i64,
    pub iat: i64,
    #[serde(default)]
    pub scope: String,
    /// The grant of a user's token; absent on a client's own (client credentials) token.
    #[serde(default)]
    pub gid: Option<OAuthGrantId>,
    #[serde(default)]
    pub gty: Option<String>,
    #[serde(default)]
    pub business_id: Option<crate::ids::BusinessId>,
}

/// The authentication methods (RFC 8176) of a grant's sign-in: a password and a code, a
/// password and a passkey (`hwk`: a hardware-bound key), or a passkey alone with user
/// verification (`user`), itself two factors.
fn amr(mfa: bool, method: Option<MfaMethod>) -> Value {
    match (mfa, method) {
        (false, _) => json!(["pwd"]),
        (true, Some(MfaMethod::Passkey)) => json!(["pwd", "hwk", "mfa"]),
        (true, Some(MfaMethod::PasskeyOnly)) => json!(["hwk", "user", "mfa"]),
        (true, _) => json!(["pwd", "otp", "mfa"]),
    }
}

/// The level: a password, a second factor, or a phishing-resistant one (a passkey).
fn acr(mfa: bool, method: Option<MfaMethod>) -> &'static str {
    match (mfa, method) {
        (false, _) => "urn:gatehouse:acr:password",
        (true, Some(m)) if m.phishing_resistant() => "urn:gatehouse:acr:phishing_resistant",
        (true, _) => "urn:gatehouse:acr:mfa",
    }
}

impl Gatehouse {
    /// The user's claims for `scopes`: `email`, `name`, the business, and with
    /// `gatehouse:access` their groups and permissions (or a marker when too large).
    pub(crate) async fn user_claims(
        &self,
        business: &Business,
        user: &User,
        scopes: Scopes,
    ) -> Result<Map<String, Value>> {
        let mut c = Map::new();
        c.insert("sub".into(), json!(user.id));
        c.insert("business_id".into(), json!(business.id));
        c.insert("business".into(), json!(business.slug.as_str()));
        if scopes.has("email") {
            c.insert("email".into(), json!(user.email.as_str()));
            // Every account came through a link mailed to this address.
            c.insert(
                "email_verified".into(),
                json!(user.status != UserStatus::Pending),
            );
        }
        if scopes.has("profile") {
            c.insert("name".into(), json!(user.display_name.as_str()));
        }
        if scopes.has(ACCESS_SCOPE) {
            let snap = self
                .engine
                .snapshot_or_load(self.store(), business.id)
                .await?;
            let perms = self.engine.permissions_shared();
            match access_claim(&snap, &perms, user.id, self.now()) {
                Some(claim) => {
                    c.insert("groups".into(), json!(claim.groups));
                    let access = json!({
                        "business": claim.business,
                        "live": claim.live,
                        "sandbox": claim.sandbox,
                    });
                    if access.to_string().len() <= MAX_ACCESS_CLAIM {
                        c.insert("permissions".into(), access);
                    } else {
                        c.insert("permissions_omitted".into(), json!("too_large"));
                    }
                }
                None => {
                    c.insert("groups".into(), json!([]));
                }
            }
        }
        Ok(c)
    }

    /// Signs the tokens of a code exchange or a refresh.
    pub(crate) async fn token_response(
        &self,
        business: &Business,
        app: &Application,
        live: &LiveGrant,
        scope: &str,
        refresh_token: Option<String>,
        with_nonce: bool,
    ) -> std::result::Result<TokenResponse, OAuthError> {
        let now = self.now();
        let scopes = Scopes::parse(scope).unwrap_or_default();
        let g = &live.grant;
        let user_claims = self.user_claims(business, &live.user, scopes).await?;
        let iss = self.issuer(business);
        let client_id = app.id.to_string();
        let mut at = user_claims.clone();
        for (k, v) in [
            ("iss", json!(iss)),
            ("aud", json!(client_id)),
            ("client_id", json!(client_id)),
            ("iat", json!(now.unix_timestamp())),
            ("exp", json!((now + app.access_token_ttl).unix_timestamp())),
            ("jti", json!(self.new_jti()?)),
            ("scope", json!(scope)),
            ("auth_time", json!(g.auth_time.unix_timestamp())),
            ("acr", json!(acr(g.mfa, g.mfa_method))),
            ("amr", amr(g.mfa, g.mfa_method)),
            ("sid", json!(g.session_id)),
            ("gid", json!(g.id)),
        ] {
            at.insert(k.into(), v);
        }
        let access_token = self.sign_for(app, "at+jwt", &Value::Object(at))?;
        let id_token = if scopes.has("openid") {
            let mut id = user_claims;
            for (k, v) in [
                ("iss", json!(iss)),
                ("aud", json!(client_id)),
                ("azp", json!(client_id)),
                ("iat", json!(now.unix_timestamp())),
                ("exp", json!((now + app.id_token_ttl).unix_timestamp())),
                ("auth_time", json!(g.auth_time.unix_timestamp())),
                ("acr", json!(acr(g.mfa, g.mfa_method))),
                ("amr", amr(g.mfa, g.mfa_method)),
                ("sid", json!(g.session_id)),
            ] {
                id.insert(k.into(), v);
            }
            if let (true, Some(nonce)) = (with_nonce, &g.nonce) {
                id.insert("nonce".into(), json!(nonce));
            }
            Some(self.sign_for(app, "JWT", &Value::Object(id))?)
        } else {
            None
        };
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: app.access_token_ttl.whole_seconds(),
            refresh_token,
            id_token,
            scope: scope.to_owned(),
        })
    }

    /// The claims of an access token of `business` that still holds: signature, issuer,
    /// expiry, and for a user's token its grant (not revoked, session live, user active).
    pub(crate) async fn check_access_token(
        &self,
        business: &Business,
        token: &str,
    ) -> Result<Option<(AccessTokenClaims, Option<LiveGrant>)>> {
        let Ok(claims) = self.verify_jwt::<AccessTokenClaims>(token, &["at+jwt"]) else {
            return Ok(None);
        };
        let now = self.now();
        if claims.iss != self.issuer(business) || claims.exp <= now.unix_timestamp() {
            return Ok(None);
        }
        let Some(gid) = claims.gid else {
            // A client's own token: holds while its application does.
            let app = self
                .application_by_client_id(business.id, &claims.client_id)
                .await?;
            return Ok(app.map(|_| (claims, None)));
        };
        let Some(grant) = self.store().get_oauth_grant(gid).await? else {
            return Ok(None);
        };
        if grant.business_id != business.id {
            return Ok(None);
        }
        Ok(self
            .live_grant(grant, now)
            .await?
            .map(|live| (claims, Some(live))))
    }

    /// The principal of a client credentials access token presented to Gatehouse's own API:
    /// the application's service rights, which are its internal API key's (no more than
    /// its grants, and no more than its creator holds now).
    pub async fn authenticate_client_token(
        &self,
        token: &str,
    ) -> Result<crate::principal::Principal> {
        use crate::error::Error;
        let claims = self
            .verify_jwt::<AccessTokenClaims>(token, &["at+jwt"])
            .map_err(|_| Error::Unauthenticated)?;
        if claims.gty.as_deref() != Some("client_credentials")
            || claims.exp <= self.now().unix_timestamp()
        {
            return Err(Error::Unauthenticated);
        }
        let business_id = claims.business_id.ok_or(Error::Unauthenticated)?;
        let business = self
            .store()
            .get_business(business_id)
            .await?
            .ok_or(Error::Unauthenticated)?;
        if claims.iss != self.issuer(&business) {
            return Err(Error::Unauthenticated);
        }
        let app = self
            .application_by_client_id(business_id, &claims.client_id)
            .await?
            .ok_or(Error::Unauthenticated)?;
        self.service_principal_of(&app).await
    }

    /// The userinfo answer for a bearer access token; `invalid_token` when it does not hold
    /// or was not granted `openid`.
    pub async fn userinfo(
        &self,
        business: &Business,
        token: &str,
    ) -> std::result::Result<Map<String, Value>, OAuthError> {
        let invalid = || {
            OAuthError::new(
                OAuthErrorCode::InvalidToken,
                "the access token is not valid",
            )
        };
        let Some((claims, Some(live))) = self.check_access_token(business, token).await? else {
            return Err(invalid());
        };
        let scopes = Scopes::parse(&claims.scope).unwrap_or_default();
        if !scopes.has("openid") {
            return Err(OAuthError::new(
                OAuthErrorCode::InvalidToken,
                "the access token was not granted the openid scope",
            ));
        }
        Ok(self.user_claims(business, &live.user, scopes).await?)
    }

    /// RFC 7662: whether `token` (an access or a refresh token of this business) is active,
    /// with its metadata. Asked by an authenticated confidential client.
    pub async fn introspect(&self, business: &Business, token: &str) -> Result<Value> {
        let inactive = json!({ "active": false });
        if let Some((c, live)) = self.check_access_token(business, token).await? {
            let mut out = json!({
                "active": true,
                "token_type": "access_token",
                "scope": c.scope,
                "client_id": c.client_id,
                "sub": c.sub,
                "aud": c.client_id,
                "iss": c.iss,
                "exp": c.exp,
                "iat": c.iat,
            });
            if let Some(live) = live {
                out["username"] = json!(live.user.email.as_str());
                out["sid"] = json!(live.grant.session_id);
            }
            return Ok(out);
        }
        let Some(refresh) = SecretToken::parse(token) else {
            return Ok(inactive);
        };
        let Some(t) = self.store().find_refresh_token(&refresh.hash()).await? else {
            return Ok(inactive);
        };
        if t.used_at.is_some() {
            return Ok(inactive);
        }
        let Some(grant) = self.store().get_oauth_grant(t.grant_id).await? else {
            return Ok(inactive);
        };
        if grant.business_id != business.id {
            return Ok(inactive);
        }
        let Some(live) = self.live_grant(grant, self.now()).await? else {
            return Ok(inactive);
        };
        Ok(json!({
            "active": true,
            "token_type": "refresh_token",
            "scope": live.grant.scope,
            "client_id": live.grant.application_id,
            "sub": live.user.id,
            "username": live.user.email.as_str(),
            "iss": self.issuer(business),
            "exp": live.grant.expires_at.unix_timestamp(),
            "iat": t.created_at.unix_timestamp(),
        }))
    }

    /// RFC 7009: revokes the grant behind `token` (a refresh or an access token) when it
    /// belongs to `app`; unknown tokens and other clients' tokens are ignored (the answer
    /// is the same).
    pub async fn revoke_token(
        &self,
        ctx: &RequestContext,
        business: &Business,
        app: &Application,
        token: &str,
    ) -> Result<()> {
        let grant_id = if let Some(t) = SecretToken::parse(token) {
            self.store()
                .find_refresh_token(&t.hash())
                .await?
                .map(|t| t.grant_id)
        } else {
            self.verify_jwt::<AccessTokenClaims>(token, &["at+jwt"])
                .ok()
                .filter(|c| c.iss == self.issuer(business))
                .and_then(|c| c.gid)
        };
        let Some(grant_id) = grant_id else {
            return Ok(());
        };
        let Some(grant) = self.store().get_oauth_grant(grant_id).await? else {
            return Ok(());
        };
        if grant.application_id != app.id || grant.business_id != business.id {
            return Ok(());
        }
        let mut tx = self.store().begin().await?;
        if tx
            .revoke_oauth_grant(grant.id, self.now(), "revoked_by_client")
            .await?
        {
            let event = self.client_event(
                ctx,
                app,
                "oauth.token_revoked",
                json!({ "grant_id": grant.id }),
            );
            self.commit(tx, vec![event]).await?;
        }
        Ok(())
    }
}
