//! Step-up: before a signed-in user changes their own second factor (a new authenticator,
//! new recovery codes), they prove again who they are — a sign-in within the last few
//! minutes, or their password and a current code now. A stolen session alone cannot swap
//! the authenticator.

use serde_json::json;

use super::sessions::self_actor;
use crate::Gatehouse;
use crate::audit::RequestContext;
use crate::auth::{Session, SessionStage};
use crate::error::{Error, Result};
use crate::services::{Audit, user_target};

impl Gatehouse {
    /// Fails with `StepUpRequired` unless the session's user proved who they are within
    /// the step-up window. Sessions that exist only to enrol (the first enrolment, right
    /// after the password) have just proved it.
    pub(crate) fn ensure_recent_authentication(&self, session: &Session) -> Result<()> {
        if session.stage == SessionStage::Enrol {
            return Ok(());
        }
        if self.now() - session.authenticated_at > self.auth.config.step_up_window {
            return Err(Error::StepUpRequired);
        }
        Ok(())
    }

    /// The start of a step-up (password and code, or a passkey): a signed-in session, and
    /// one attempt reserved against the account's lock.
    pub(super) async fn step_up_attempt(
        &self,
        session: &Session,
    ) -> Result<(crate::model::User, crate::auth::AttemptReservation)> {
        if session.stage != SessionStage::Full {
            return Err(Error::Unauthenticated);
        }
        let user = self.session_user(session).await?;
        let Some(reserved) = self.reserve_attempt(&user).await? else {
            return Err(Error::SignInThrottled {
                retry_after_secs: self.wait_before_attempt(&user).await?,
            });
        };
        Ok((user, reserved))
    }

    /// Proves again who the signed-in user is: their password and, when they have a second
    /// factor, a current code (or a recovery code). Counts against the account's lock like
    /// a sign-in; audited.
    pub async fn step_up(
        &self,
        ctx: &RequestContext,
        session: &Session,
        password: &str,
        code: &str,
    ) -> Result<()> {
        let (user, reserved) = self.step_up_attempt(session).await?;
        let password_ok = self.password_matches(user.id, password).await?;
        let now = self.now();
        let actor = self_actor(&user);
        let audit = Audit::new(now, Some(user.business_id), &actor, ctx);
        let mut tx = self.store.begin().await?;
        let factor = match (password_ok, user.mfa_enrolled) {
            (false, _) => None,
            (true, false) => Some(None),
            (true, true) => self
                .check_second_factor(tx.as_mut(), &user, code, &audit)
                .await?
                .map(Some),
        };
        let Some(factor_event) = factor else {
            drop(tx);
            self.record_failure(ctx, &user, reserved, "wrong_step_up")
                .await?;
            return Err(Error::StepUpFailed);
        };
        tx.set_session_authenticated(&session.token_hash, now)
            .await?;
        let mut events: Vec<_> = factor_event.into_iter().collect();
        events.push(audit.event(
            "auth.stepped_up",
            user_target(&user),
            None,
            Some(json!({ "session_id": session.id, "second_factor": user.mfa_enrolled })),
        ));
        self.commit(tx, events).await?;
        self.store
            .release_sign_in_attempt(user.id, reserved.epoch)
            .await
    }
}
