//! Whether a grant still holds: not revoked or expired, its browser session live and its
//! user active. Every token request, userinfo and introspection answer asks.

use time::OffsetDateTime;

use super::grants::OAuthGrant;
use crate::Gatehouse;
use crate::auth::{Session, SessionStage};
use crate::error::Result;
use crate::model::{User, UserStatus};

/// A grant that still holds, with the session and user it stands on.
pub(crate) struct LiveGrant {
    pub(crate) grant: OAuthGrant,
    pub(crate) session: Session,
    pub(crate) user: User,
}

impl Gatehouse {
    /// The grant with its session and user, if it still holds at `now`: not revoked or
    /// expired, its session live (not ended, not past its idle or absolute limits) and its
    /// user active.
    pub(crate) async fn live_grant(
        &self,
        grant: OAuthGrant,
        now: OffsetDateTime,
    ) -> Result<Option<LiveGrant>> {
        if grant.revoked_at.is_some() || now >= grant.expires_at {
            return Ok(None);
        }
        let session = self.store().get_session_by_id(grant.session_id).await?;
        let user = self
            .store()
            .get_user(grant.business_id, grant.user_id)
            .await?;
        Ok(self.grant_holds(grant, session, user, now))
    }

    /// [`Gatehouse::live_grant`] read inside a write transaction: a request that holds a
    /// transaction never waits for a second connection (a pool of N would deadlock under N
    /// such requests).
    pub(crate) async fn live_grant_in(
        &self,
        tx: &mut dyn crate::store::StoreTx,
        grant: OAuthGrant,
        now: OffsetDateTime,
    ) -> Result<Option<LiveGrant>> {
        if grant.revoked_at.is_some() || now >= grant.expires_at {
            return Ok(None);
        }
        let session = tx.get_session_by_id(grant.session_id).await?;
        let user = tx.get_user(grant.business_id, grant.user_id).await?;
        Ok(self.grant_holds(grant, session, user, now))
    }

    fn grant_holds(
        &self,
        grant: OAuthGrant,
        session: Option<Session>,
        user: Option<User>,
        now: OffsetDateTime,
    ) -> Option<LiveGrant> {
        let session = session?;
        let idle = self.auth.config.session_idle;
        if session.stage != SessionStage::Full
            || session.user_id != grant.user_id
            || now >= session.expires_at
            || now - session.last_seen_at >= idle
        {
            return None;
        }
        let user = user.filter(|u| u.status == UserStatus::Active)?;
        Some(LiveGrant {
            grant,
            session,
            user,
        })
    }
}
