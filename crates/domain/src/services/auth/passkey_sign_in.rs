//! Passkeys at sign-in: as the second factor after the password (the MFA step), alone
//! (a discoverable credential with user verification: "Sign in with a passkey"), and as the
//! step-up before a change to one's own sign-in. Every
//! failure counts towards the account's lock like a wrong password, once the account is
//! known; the challenge is single use and the counter must move on.

use serde_json::{Value, json};

use super::NewSession;
use super::limits::Limited;
use super::passkey_challenge::{CEREMONY, Ceremony};
use super::sessions::self_actor;
use crate::Gatehouse;
use crate::audit::{AuditEvent, RequestContext};
use crate::auth::webauthn::{AssertionResponse, KnownCredential};
use crate::auth::{AttemptReservation, MfaMethod, Passkey, Session, SessionStage};
use crate::error::{Error, Result};
use crate::model::{User, UserStatus};
use crate::services::{Audit, user_target};
use crate::store::StoreTx;
use crate::types::Slug;

/// One passkey attempt at an account: whose, the attempt reserved against its lock, the
/// ceremony, and whether the user must be verified.
struct Attempt<'a> {
    user: &'a User,
    reserved: AttemptReservation,
    ceremony: Ceremony,
    require_uv: bool,
}

fn parse(response: &str) -> Result<AssertionResponse> {
    serde_json::from_str(response)
        .map_err(|_| Error::PasskeyRejected("the response is not an assertion"))
}

impl Gatehouse {
    /// The options for `navigator.credentials.get()` at the MFA step: the user's passkeys;
    /// `None` when they have none.
    pub async fn passkey_mfa_options(&self, session: &Session) -> Result<Option<Value>> {
        if session.stage != SessionStage::Mfa {
            return Err(Error::Unauthenticated);
        }
        self.passkey_request(session, Ceremony::SecondFactor(session.id), "preferred")
            .await
    }

    /// The options of the sign-in page of business `slug`: any discoverable passkey, user
    /// verification required. Changes nothing.
    pub async fn passkey_sign_in_options(&self, slug: &Slug) -> Result<Value> {
        let business = self
            .store
            .get_business_by_slug(slug)
            .await?
            .ok_or(Error::BusinessNotFound)?;
        Ok(json!({
            "challenge": self.issue_challenge(Ceremony::SignIn(business.id))?,
            "rpId": self.relying_party()?.id,
            "timeout": CEREMONY.whole_milliseconds(),
            "allowCredentials": [],
            "userVerification": "required",
        }))
    }

    /// The options of the step-up page: the signed-in user's passkeys, user verification
    /// required (a verified passkey is both factors); `None` when they have none.
    pub async fn passkey_step_up_options(&self, session: &Session) -> Result<Option<Value>> {
        if session.stage != SessionStage::Full {
            return Err(Error::Unauthenticated);
        }
        self.passkey_request(session, Ceremony::StepUp(session.id), "required")
            .await
    }

    /// A step-up with a verified passkey of the signed-in user instead of the password and
    /// a code. Counts against the account's lock like one; audited.
    pub async fn step_up_with_passkey(
        &self,
        ctx: &RequestContext,
        session: &Session,
        response: &str,
    ) -> Result<()> {
        let (user, reserved) = self.step_up_attempt(session).await?;
        let attempt = Attempt {
            user: &user,
            reserved,
            ceremony: Ceremony::StepUp(session.id),
            require_uv: true,
        };
        let (mut tx, event) = self.counted_assertion(ctx, attempt, response).await?;
        let now = self.now();
        tx.set_session_authenticated(&session.token_hash, now)
            .await?;
        let actor = self_actor(&user);
        let audit = Audit::new(now, Some(user.business_id), &actor, ctx);
        let stepped = audit.event(
            "auth.stepped_up",
            user_target(&user),
            None,
            Some(json!({ "session_id": session.id, "method": "passkey" })),
        );
        self.commit(tx, vec![event, stepped]).await?;
        self.store
            .release_sign_in_attempt(user.id, reserved.epoch)
            .await
    }

    /// Request options over the session user's passkeys for `ceremony`; `None` without any.
    async fn passkey_request(
        &self,
        session: &Session,
        ceremony: Ceremony,
        user_verification: &str,
    ) -> Result<Option<Value>> {
        let passkeys = self
            .store
            .list_passkeys(session.business_id, session.user_id)
            .await?;
        if passkeys.is_empty() {
            return Ok(None);
        }
        let allow: Vec<Value> = passkeys
            .iter()
            .map(|p| json!({ "type": "public-key", "id": p.credential_id }))
            .collect();
        Ok(Some(json!({
            "challenge": self.issue_challenge(ceremony)?,
            "rpId": self.relying_party()?.id,
            "timeout": CEREMONY.whole_milliseconds(),
            "allowCredentials": allow,
            "userVerification": user_verification,
        })))
    }

    /// The MFA step with a passkey of the session's user.
    pub async fn verify_mfa_passkey(
        &self,
        ctx: &RequestContext,
        session: &Session,
        response: &str,
    ) -> Result<NewSession> {
        let (user, reserved) = self.mfa_attempt(ctx, session).await?;
        let attempt = Attempt {
            user: &user,
            reserved,
            ceremony: Ceremony::SecondFactor(session.id),
            require_uv: false,
        };
        let (mut tx, event) = self.counted_assertion(ctx, attempt, response).await?;
        let factor = (Some(session), Some(MfaMethod::Passkey));
        let opened = self
            .start_session(tx.as_mut(), ctx, &user, SessionStage::Full, factor)
            .await?;
        self.commit(tx, vec![event]).await?;
        Ok(opened)
    }

    /// Signs in with a passkey alone, on the sign-in page of business `slug`: the passkey
    /// must be registered to an active user of that business and verify the user.
    pub async fn sign_in_with_passkey(
        &self,
        ctx: &RequestContext,
        slug: &Slug,
        response: &str,
    ) -> Result<NewSession> {
        self.check_rate(ctx, Limited::SignIn).await?;
        let business = self
            .store
            .get_business_by_slug(slug)
            .await?
            .ok_or(Error::SignInFailed)?;
        let parsed = parse(response)?;
        let rp = self.relying_party()?;
        // The challenge first: a response made for another page is refused before the
        // credential is even looked up.
        self.open_challenge(
            Ceremony::SignIn(business.id),
            &rp.assertion_challenge(&parsed)?,
        )?;
        let passkey = self.passkey_of_response(&parsed).await?;
        let owner = match passkey.filter(|p| p.business_id == business.id) {
            Some(p) => self.store.get_user(business.id, p.user_id).await?,
            None => None,
        };
        let Some(user) = owner else {
            return Err(Error::PasskeyRejected(
                "this passkey is not registered here",
            ));
        };
        let user = self.release_if_expired(ctx, user).await?;
        let reserved = if user.status == UserStatus::Active {
            self.reserve_attempt(&user).await?
        } else {
            None
        };
        let Some(reserved) = reserved else {
            return Err(Error::SignInFailed);
        };
        let attempt = Attempt {
            user: &user,
            reserved,
            ceremony: Ceremony::SignIn(business.id),
            require_uv: true,
        };
        let (mut tx, event) = self.counted_assertion(ctx, attempt, response).await?;
        let opened = self
            .start_session(
                tx.as_mut(),
                ctx,
                &user,
                SessionStage::Full,
                (None, Some(MfaMethod::PasskeyOnly)),
            )
            .await?;
        let actor = self_actor(&user);
        let audit = Audit::new(self.now(), Some(user.business_id), &actor, ctx);
        let signed_in = audit.event(
            "auth.signed_in",
            user_target(&user),
            None,
            Some(json!({ "stage": "full", "session_id": opened.session.id, "method": "passkey" })),
        );
        self.commit(tx, vec![event, signed_in]).await?;
        Ok(opened)
    }

    /// [`Gatehouse::check_assertion`] in a new transaction, returned to finish the sign-in
    /// in; a refusal counts towards the account's lock (after the transaction is gone).
    async fn counted_assertion(
        &self,
        ctx: &RequestContext,
        attempt: Attempt<'_>,
        response: &str,
    ) -> Result<(Box<dyn StoreTx>, AuditEvent)> {
        let mut tx = self.store.begin().await?;
        let (user, ceremony) = (attempt.user, attempt.ceremony);
        let checked = self
            .check_assertion(
                tx.as_mut(),
                ctx,
                user,
                response,
                ceremony,
                attempt.require_uv,
            )
            .await;
        match checked {
            Ok(event) => Ok((tx, event)),
            Err(e) => {
                drop(tx);
                self.record_failure(ctx, user, attempt.reserved, "wrong_passkey")
                    .await?;
                Err(e)
            }
        }
    }

    async fn passkey_of_response(&self, response: &AssertionResponse) -> Result<Option<Passkey>> {
        let id = data_encoding::BASE64URL_NOPAD.encode(&response.credential_id()?);
        self.store.get_passkey_by_credential(&id).await
    }

    /// Checks an assertion by one of `user`'s passkeys in `tx`: the ceremony (origin,
    /// relying party, the challenge of `ceremony`, used once; user verification when
    /// `require_uv`), the owner, the signature, the counter; records the use. The audit event
    /// of the accepted passkey.
    async fn check_assertion(
        &self,
        tx: &mut dyn StoreTx,
        ctx: &RequestContext,
        user: &User,
        response: &str,
        ceremony: Ceremony,
        require_uv: bool,
    ) -> Result<AuditEvent> {
        let parsed = parse(response)?;
        let rp = self.relying_party()?;
        let challenge = self.open_challenge(ceremony, &rp.assertion_challenge(&parsed)?)?;
        let passkey = self
            .passkey_of_response(&parsed)
            .await?
            .filter(|p| p.user_id == user.id && p.business_id == user.business_id)
            .ok_or(Error::PasskeyRejected("this passkey is not yours"))?;
        if let Some(handle) = parsed.user_handle()?
            && handle != user.id.to_string().as_bytes()
        {
            return Err(Error::PasskeyRejected("the passkey names another user"));
        }
        let known = KnownCredential {
            public_key: &passkey.public_key,
            sign_count: passkey.sign_count,
            backup_eligible: passkey.backup_eligible,
        };
        let outcome = rp.assert(&parsed, known, require_uv)?;
        self.use_challenge(tx, &challenge).await?;
        let now = self.now();
        let recorded = tx
            .record_passkey_use(
                passkey.id,
                passkey.sign_count,
                outcome.sign_count,
                outcome.backed_up,
                now,
            )
            .await?;
        if !recorded {
            return Err(Error::PasskeyRejected("the passkey was used twice at once"));
        }
        let actor = self_actor(user);
        let audit = Audit::new(now, Some(user.business_id), &actor, ctx);
        Ok(audit.event(
            "auth.mfa_verified",
            user_target(user),
            None,
            Some(json!({
                "method": "passkey",
                "passkey_id": passkey.id,
                "user_verified": outcome.user_verified,
                "backed_up": outcome.backed_up,
            })),
        ))
    }
}
