//! Sessions: finding the one a cookie names (idle and absolute timeouts), the principal of a
//! signed-in session, a user's own list of sessions, revoking one, signing out.

use serde_json::json;

use crate::Gatehouse;
use crate::audit::RequestContext;
use crate::auth::{SecretToken, Session, SessionStage};
use crate::error::{Error, Result};
use crate::ids::SessionId;
use crate::model::User;
use crate::oidc::grants::EndingSessions;
use crate::principal::{Actor, ActorKind, Principal};
use crate::services::{Audit, user_target};

/// Activity is written back at most this often (and never less often than a quarter of
/// the idle timeout), so a busy session is not a write per request.
const TOUCH_INTERVAL: time::Duration = time::Duration::minutes(1);

/// The audit actor of a user acting on their own account.
pub(crate) fn self_actor(user: &User) -> Actor {
    Actor {
        kind: ActorKind::User,
        id: Some(user.id.to_string()),
        label: user.email.to_string(),
    }
}

impl Gatehouse {
    /// The live session `token` names, at any stage. Expired ones are removed and refused.
    pub async fn authenticate_session(&self, token: &SecretToken) -> Result<Session> {
        let now = self.now();
        let hash = token.hash();
        let session = self
            .store
            .get_session(&hash)
            .await?
            .ok_or(Error::Unauthenticated)?;
        let idle = self.auth.config.session_idle;
        if now >= session.expires_at || now - session.last_seen_at >= idle {
            self.end_expired_session(&session).await?;
            return Err(Error::Unauthenticated);
        }
        if self.session_activity_due(&session, now) {
            self.store.touch_session(&hash, now).await?;
        }
        Ok(session)
    }

    /// Whether `session`'s last activity is old enough to be written back at `now` (every
    /// use of a session, by cookie or by refresh token, keeps it alive; few are written).
    pub(crate) fn session_activity_due(
        &self,
        session: &Session,
        now: time::OffsetDateTime,
    ) -> bool {
        now - session.last_seen_at >= TOUCH_INTERVAL.min(self.auth.config.session_idle / 4)
    }

    /// The user a session belongs to (still in the business).
    pub async fn session_user(&self, session: &Session) -> Result<User> {
        self.store
            .get_user(session.business_id, session.user_id)
            .await?
            .ok_or(Error::Unauthenticated)
    }

    /// The principal of a fully signed-in session; a half-signed-in one is unauthenticated.
    pub async fn session_principal(&self, session: &Session) -> Result<Principal> {
        if session.stage != SessionStage::Full {
            return Err(Error::Unauthenticated);
        }
        let user = self.session_user(session).await?;
        let snapshot = self
            .engine
            .snapshot_or_load(self.store.as_ref(), session.business_id)
            .await?;
        Ok(Principal::User {
            id: user.id,
            business_id: user.business_id,
            email: user.email,
            snapshot,
            perms: self.engine.permissions_shared(),
            now: self.now(),
        })
    }

    /// The user's own sessions, newest first.
    pub async fn list_own_sessions(&self, session: &Session) -> Result<Vec<Session>> {
        self.store
            .list_sessions(session.business_id, session.user_id)
            .await
    }

    /// Ends one of the user's own sessions.
    pub async fn revoke_own_session(
        &self,
        ctx: &RequestContext,
        session: &Session,
        id: SessionId,
    ) -> Result<()> {
        let user = self.session_user(session).await?;
        let mut tx = self.store.begin().await?;
        let one = EndingSessions::One { user: user.id, id };
        if self
            .end_sessions(tx.as_mut(), user.business_id, one)
            .await?
            == 0
        {
            return Err(Error::SessionNotFound);
        }
        let actor = self_actor(&user);
        let audit = Audit::new(self.now(), Some(user.business_id), &actor, ctx);
        let event = audit.event(
            "auth.session_revoked",
            user_target(&user),
            None,
            Some(json!({ "session_id": id })),
        );
        self.commit(tx, vec![event]).await
    }

    /// Ends the session server-side.
    pub async fn sign_out(&self, ctx: &RequestContext, session: &Session) -> Result<()> {
        let user = self.session_user(session).await?;
        let mut tx = self.store.begin().await?;
        let this = EndingSessions::ByHash(&session.token_hash);
        self.end_sessions(tx.as_mut(), user.business_id, this)
            .await?;
        let actor = self_actor(&user);
        let audit = Audit::new(self.now(), Some(user.business_id), &actor, ctx);
        let event = audit.event(
            "auth.signed_out",
            user_target(&user),
            None,
            Some(json!({ "session_id": session.id })),
        );
        self.commit(tx, vec![event]).await
    }
}
