//! The second factor: TOTP enrolment (a QR code and key shown, confirmed by a valid code),
//! the MFA step of sign-in (a TOTP code or a recovery code), recovery codes.

use data_encoding::BASE32_NOPAD;
use serde_json::json;

use super::NewSession;
use super::limits::Limited;
use super::sessions::self_actor;
use crate::Gatehouse;
use crate::audit::RequestContext;
use crate::auth::entropy::random;
use crate::auth::password::normalise_code;
use crate::auth::{MfaMethod, Session, SessionStage, TokenHash, totp};
use crate::error::{Error, Result};
use crate::mail::MailMessage;
use crate::model::User;
use crate::services::{Audit, user_target};
use crate::store::StoreTx;

/// How many recovery codes a user gets.
pub const RECOVERY_CODES: usize = 10;

/// An enrolment in progress: what the page shows, and the secret sealed for the
/// confirmation form (bound to the session, so nothing is stored until confirmed).
#[derive(Debug)]
pub struct Enrolment {
    pub secret_base32: String,
    pub otpauth_uri: String,
    pub sealed: String,
}

fn enrolment_context(session: &Session) -> Vec<u8> {
    format!("enrolment:{}", session.id).into_bytes()
}

fn secret_context(user: &User) -> Vec<u8> {
    format!("totp:{}", user.id).into_bytes()
}

impl Gatehouse {
    /// Starts an enrolment (a full session, or one that must enrol). Changes nothing.
    pub async fn begin_mfa_enrolment(&self, session: &Session) -> Result<Enrolment> {
        let secret = random::<{ totp::SECRET_BYTES }>(self.auth.entropy.as_ref())?;
        let sealed = self.auth.cipher.seal(
            self.auth.entropy.as_ref(),
            &secret,
            &enrolment_context(session),
        )?;
        self.enrolment(session, &secret, sealed).await
    }

    /// The same enrolment again, from its sealed secret (after a mistyped code).
    pub async fn resume_mfa_enrolment(&self, session: &Session, sealed: &str) -> Result<Enrolment> {
        match self.auth.cipher.open(sealed, &enrolment_context(session)) {
            Ok(secret) => self.enrolment(session, &secret, sealed.to_owned()).await,
            Err(_) => self.begin_mfa_enrolment(session).await,
        }
    }

    async fn enrolment(
        &self,
        session: &Session,
        secret: &[u8],
        sealed: String,
    ) -> Result<Enrolment> {
        if session.stage == SessionStage::Mfa {
            return Err(Error::Unauthenticated);
        }
        self.ensure_recent_authentication(session)?;
        let user = self.session_user(session).await?;
        let business = self
            .store
            .get_business(user.business_id)
            .await?
            .ok_or(Error::Unauthenticated)?;
        Ok(Enrolment {
            secret_base32: totp::secret_base32(secret),
            otpauth_uri: totp::otpauth_uri(
                &format!("Gatehouse {}", business.name),
                user.email.as_str(),
                secret,
            ),
            sealed,
        })
    }

    /// Confirms an enrolment with a code from the app. Returns the recovery codes (shown
    /// once) and, when the session had to enrol, the full session that replaces it.
    pub async fn confirm_mfa_enrolment(
        &self,
        ctx: &RequestContext,
        session: &Session,
        sealed: &str,
        code: &str,
    ) -> Result<(Vec<String>, Option<NewSession>)> {
        if session.stage == SessionStage::Mfa {
            return Err(Error::Unauthenticated);
        }
        self.ensure_recent_authentication(session)?;
        let now = self.now();
        let user = self.session_user(session).await?;
        let secret = self
            .auth
            .cipher
            .open(sealed, &enrolment_context(session))
            .map_err(|_| {
                Error::invalid(
                    "invalid_enrolment",
                    "enrolment",
                    "start the enrolment again",
                )
            })?;
        let step = totp::accepted_step(&secret, &normalise_code(code), now, None)
            .ok_or(Error::MfaCodeInvalid)?;
        let stored =
            self.auth
                .cipher
                .seal(self.auth.entropy.as_ref(), &secret, &secret_context(&user))?;
        let mut tx = self.store.begin().await?;
        tx.set_totp(user.id, Some(&stored), Some(step)).await?;
        let codes = self.new_recovery_codes(tx.as_mut(), &user).await?;
        let actor = self_actor(&user);
        let audit = Audit::new(now, Some(user.business_id), &actor, ctx);
        let (after, mut events) = self
            .mark_mfa_enrolled(tx.as_mut(), &user, true, &audit)
            .await?;
        let replaced = if session.stage == SessionStage::Enrol {
            Some(
                self.start_session(
                    tx.as_mut(),
                    ctx,
                    &after,
                    SessionStage::Full,
                    (Some(session), Some(MfaMethod::Totp)),
                )
                .await?,
            )
        } else {
            None
        };
        events.push(audit.event(
            "auth.recovery_codes_issued",
            user_target(&after),
            None,
            Some(json!({ "count": codes.len() })),
        ));
        self.mail_user(tx.as_mut(), &after, MailMessage::MfaEnrolled)
            .await?;
        self.commit(tx, events).await?;
        Ok((codes, replaced))
    }

    /// The MFA step of sign-in: a TOTP code, or a recovery code. Failures count towards
    /// the account's lock like wrong passwords.
    pub async fn verify_mfa(
        &self,
        ctx: &RequestContext,
        session: &Session,
        code: &str,
    ) -> Result<NewSession> {
        let (user, reserved) = self.mfa_attempt(ctx, session).await?;
        let now = self.now();
        let actor = self_actor(&user);
        let audit = Audit::new(now, Some(user.business_id), &actor, ctx);
        let mut tx = self.store.begin().await?;
        let accepted = self
            .check_second_factor(tx.as_mut(), &user, code, &audit)
            .await?;
        let Some(event) = accepted else {
            drop(tx);
            self.record_failure(ctx, &user, reserved, "wrong_mfa_code")
                .await?;
            return Err(Error::MfaCodeInvalid);
        };
        let recovery = event.action == "auth.recovery_code_used";
        let remaining = event.after.as_ref().and_then(|a| a["remaining"].as_i64());
        let method = if recovery {
            MfaMethod::Recovery
        } else {
            MfaMethod::Totp
        };
        let opened = self
            .start_session(
                tx.as_mut(),
                ctx,
                &user,
                SessionStage::Full,
                (Some(session), Some(method)),
            )
            .await?;
        if recovery {
            let message = MailMessage::RecoveryCodeUsed {
                remaining: remaining.unwrap_or(0),
            };
            self.mail_user(tx.as_mut(), &user, message).await?;
        }
        self.commit(tx, vec![event]).await?;
        Ok(opened)
    }

    /// The start of an MFA step (a code or a passkey): the rate limit, a half-signed-in
    /// session, and one attempt reserved against the account's lock.
    pub(super) async fn mfa_attempt(
        &self,
        ctx: &RequestContext,
        session: &Session,
    ) -> Result<(User, crate::auth::AttemptReservation)> {
        self.check_rate(ctx, Limited::Mfa).await?;
        if session.stage != SessionStage::Mfa {
            return Err(Error::Unauthenticated);
        }
        let user = self.session_user(session).await?;
        let Some(reserved) = self.reserve_attempt(&user).await? else {
            // The password was right, so saying how long to wait tells a stranger nothing.
            return Err(Error::SignInThrottled {
                retry_after_secs: self.wait_before_attempt(&user).await?,
            });
        };
        Ok((user, reserved))
    }

    /// Checks a second factor in `tx`: a TOTP code (each step accepted once, atomically: of
    /// two requests with the same code, one wins) or a recovery code (used up). The audit
    /// event of the accepted factor, or `None`.
    pub(crate) async fn check_second_factor(
        &self,
        tx: &mut dyn StoreTx,
        user: &User,
        code: &str,
        audit: &Audit<'_>,
    ) -> Result<Option<crate::audit::AuditEvent>> {
        let code = normalise_code(code);
        if code.len() == totp::DIGITS as usize {
            let creds = tx.get_credentials(user.id).await?.unwrap_or_default();
            let step = match &creds.totp_secret {
                Some(sealed) => {
                    let secret = self.auth.cipher.open(sealed, &secret_context(user))?;
                    totp::accepted_step(&secret, &code, audit.at(), creds.totp_last_step)
                }
                None => None,
            };
            return Ok(match step {
                Some(step) if tx.use_totp_step(user.id, step).await? => Some(audit.event(
                    "auth.mfa_verified",
                    user_target(user),
                    None,
                    Some(json!({ "method": "totp" })),
                )),
                _ => None,
            });
        }
        if !tx
            .use_recovery_code(user.id, &TokenHash::of(code.as_bytes()))
            .await?
        {
            return Ok(None);
        }
        let remaining = tx.count_recovery_codes(user.id).await?;
        Ok(Some(audit.event(
            "auth.recovery_code_used",
            user_target(user),
            None,
            Some(json!({ "remaining": remaining })),
        )))
    }

    /// New recovery codes for a signed-in user with MFA; the old ones stop working.
    pub async fn regenerate_recovery_codes(
        &self,
        ctx: &RequestContext,
        session: &Session,
    ) -> Result<Vec<String>> {
        let user = self.session_user(session).await?;
        if session.stage != SessionStage::Full {
            return Err(Error::Unauthenticated);
        }
        if !user.mfa_enrolled {
            return Err(Error::MfaNotEnrolled);
        }
        self.ensure_recent_authentication(session)?;
        let mut tx = self.store.begin().await?;
        let codes = self.new_recovery_codes(tx.as_mut(), &user).await?;
        let actor = self_actor(&user);
        let audit = Audit::new(self.now(), Some(user.business_id), &actor, ctx);
        let event = audit.event(
            "auth.recovery_codes_issued",
            user_target(&user),
            None,
            Some(json!({ "count": codes.len() })),
        );
        self.mail_user(tx.as_mut(), &user, MailMessage::RecoveryCodesRegenerated)
            .await?;
        self.commit(tx, vec![event]).await?;
        Ok(codes)
    }

    /// Replaces the user's recovery codes with fresh ones: 80 random bits each, written
    /// `XXXX-XXXX-XXXX-XXXX`, stored as SHA-256 (their entropy makes a slow hash needless).
    pub(super) async fn new_recovery_codes(
        &self,
        tx: &mut dyn StoreTx,
        user: &User,
    ) -> Result<Vec<String>> {
        let mut codes = Vec::with_capacity(RECOVERY_CODES);
        let mut hashes = Vec::with_capacity(RECOVERY_CODES);
        for _ in 0..RECOVERY_CODES {
            let raw = BASE32_NOPAD.encode(&random::<10>(self.auth.entropy.as_ref())?);
            hashes.push(TokenHash::of(raw.as_bytes()));
            let groups: Vec<&str> = (0..4).filter_map(|i| raw.get(i * 4..i * 4 + 4)).collect();
            codes.push(groups.join("-"));
        }
        tx.replace_recovery_codes(user.id, &hashes, self.now())
            .await?;
        Ok(codes)
    }

    /// Sets the user's MFA flag in `tx` and the audit event saying so.
    pub(crate) async fn mark_mfa_enrolled(
        &self,
        tx: &mut dyn StoreTx,
        user: &User,
        enrolled: bool,
        audit: &Audit<'_>,
    ) -> Result<(User, Vec<crate::audit::AuditEvent>)> {
        let (after, event) = self
            .set_mfa_enrolled_in(tx, user.business_id, user.id, enrolled, audit)
            .await?;
        Ok((after, vec![event]))
    }
}
