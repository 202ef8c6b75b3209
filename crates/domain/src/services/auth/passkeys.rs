//! A user's passkeys: registering one (after a fresh proof of identity, as for any change
//! to the second factor; audited and mailed), listing and removing them. A passkey is a
//! second factor like the authenticator app, and the first one may be how a user enrols.

use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use serde_json::{Value, json};

use super::NewSession;
use super::passkey_challenge::{CEREMONY, Ceremony};
use super::sessions::self_actor;
use crate::Gatehouse;
use crate::audit::RequestContext;
use crate::auth::webauthn::{ALGORITHMS, RegistrationResponse};
use crate::auth::{MfaMethod, Passkey, Session, SessionStage};
use crate::error::{Error, Result};
use crate::ids::PasskeyId;
use crate::mail::MailMessage;
use crate::services::{Audit, user_target};

/// The longest name of a passkey, in characters.
pub const PASSKEY_NAME_MAX: usize = 64;

/// A registration the page completed: the passkey, recovery codes when it was the user's
/// first second factor (shown once), and the full session replacing one that had to enrol.
#[derive(Debug)]
pub struct PasskeyRegistered {
    pub passkey: Passkey,
    pub recovery_codes: Option<Vec<String>>,
    pub session: Option<NewSession>,
}

fn passkey_name(raw: &str) -> Result<String> {
    let name: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Ok("Passkey".to_owned());
    }
    if name.chars().count() > PASSKEY_NAME_MAX || name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "invalid_passkey_name",
            "name",
            format!("must be at most {PASSKEY_NAME_MAX} characters"),
        ));
    }
    Ok(name)
}

/// A session that may change its own second factor: signed in, or enrolling.
fn ensure_may_register(session: &Session) -> Result<()> {
    match session.stage {
        SessionStage::Full | SessionStage::Enrol => Ok(()),
        SessionStage::Mfa => Err(Error::Unauthenticated),
    }
}

impl Gatehouse {
    /// The options for `navigator.credentials.create()`: a discoverable credential with
    /// user verification, no attestation, the user's existing passkeys excluded. Needs a
    /// recent proof of identity (step-up). Changes nothing.
    pub async fn passkey_registration_options(&self, session: &Session) -> Result<Value> {
        ensure_may_register(session)?;
        self.ensure_recent_authentication(session)?;
        let user = self.session_user(session).await?;
        let rp = self.relying_party()?;
        let exclude: Vec<Value> = self
            .store
            .list_passkeys(user.business_id, user.id)
            .await?
            .iter()
            .map(|p| json!({ "type": "public-key", "id": p.credential_id }))
            .collect();
        let display = if user.display_name.as_str().is_empty() {
            user.email.as_str()
        } else {
            user.display_name.as_str()
        };
        Ok(json!({
            "rp": { "id": rp.id, "name": "Gatehouse" },
            "user": {
                "id": BASE64URL_NOPAD.encode(user.id.to_string().as_bytes()),
                "name": user.email.as_str(),
                "displayName": display,
            },
            "challenge": self.issue_challenge(Ceremony::Register(session.id))?,
            "pubKeyCredParams": ALGORITHMS.iter().map(|alg| json!({ "type": "public-key", "alg": alg })).collect::<Vec<_>>(),
            "timeout": CEREMONY.whole_milliseconds(),
            "excludeCredentials": exclude,
            "authenticatorSelection": {
                "residentKey": "required",
                "requireResidentKey": true,
                "userVerification": "required",
            },
            "attestation": "none",
        }))
    }

    /// Registers the passkey the browser created (`response`: its JSON). Checks the
    /// ceremony (origin, relying party, the challenge of this session, user verification),
    /// needs a recent proof of identity, stores it, audits and mails.
    pub async fn register_passkey(
        &self,
        ctx: &RequestContext,
        session: &Session,
        name: &str,
        response: &str,
    ) -> Result<PasskeyRegistered> {
        ensure_may_register(session)?;
        self.ensure_recent_authentication(session)?;
        let name = passkey_name(name)?;
        let response: RegistrationResponse = serde_json::from_str(response)
            .map_err(|_| Error::PasskeyRejected("the response is not a registration"))?;
        let rp = self.relying_party()?;
        let (challenge, cred) = rp.register(&response, |raw| {
            self.open_challenge(Ceremony::Register(session.id), raw)
        })?;
        let user = self.session_user(session).await?;
        let now = self.now();
        let passkey = Passkey {
            id: PasskeyId::new(now),
            business_id: user.business_id,
            user_id: user.id,
            credential_id: BASE64URL_NOPAD.encode(&cred.id),
            name,
            public_key: cred.public_key,
            algorithm: cred.algorithm,
            sign_count: cred.sign_count,
            backup_eligible: cred.backup_eligible,
            backed_up: cred.backed_up,
            attestation_format: cred.attestation_format,
            aaguid: HEXLOWER.encode(&cred.aaguid),
            created_at: now,
            last_used_at: None,
        };
        let actor = self_actor(&user);
        let audit = Audit::new(now, Some(user.business_id), &actor, ctx);
        let mut tx = self.store.begin().await?;
        self.use_challenge(tx.as_mut(), &challenge).await?;
        if !tx.insert_passkey(&passkey).await? {
            return Err(Error::PasskeyRejected("this passkey is already registered"));
        }
        let mut events = vec![audit.event(
            "auth.passkey_registered",
            user_target(&user),
            None,
            Some(json!({
                "passkey_id": passkey.id,
                "name": passkey.name,
                "algorithm": passkey.algorithm,
                "attestation_format": passkey.attestation_format,
                "aaguid": passkey.aaguid,
                "backup_eligible": passkey.backup_eligible,
                "backed_up": passkey.backed_up,
            })),
        )];
        let mut recovery_codes = None;
        let mut after = user.clone();
        if !user.mfa_enrolled {
            let codes = self.new_recovery_codes(tx.as_mut(), &user).await?;
            let (enrolled, marked) = self
                .mark_mfa_enrolled(tx.as_mut(), &user, true, &audit)
                .await?;
            events.extend(marked);
            events.push(audit.event(
                "auth.recovery_codes_issued",
                user_target(&user),
                None,
                Some(json!({ "count": codes.len() })),
            ));
            recovery_codes = Some(codes);
            after = enrolled;
        }
        let replaced = if session.stage == SessionStage::Enrol {
            let factor = (Some(session), Some(MfaMethod::Passkey));
            Some(
                self.start_session(tx.as_mut(), ctx, &after, SessionStage::Full, factor)
                    .await?,
            )
        } else {
            None
        };
        let message = MailMessage::PasskeyAdded {
            name: passkey.name.clone(),
        };
        self.mail_user(tx.as_mut(), &after, message).await?;
        self.commit(tx, events).await?;
        Ok(PasskeyRegistered {
            passkey,
            recovery_codes,
            session: replaced,
        })
    }

    /// Whether a passkey policy denies the session's user some of their rights for want of
    /// a passkey (after any grace): what their account page warns about.
    pub async fn passkey_missing(&self, session: &Session) -> Result<bool> {
        let snapshot = self
            .engine
            .snapshot_or_load(self.store.as_ref(), session.business_id)
            .await?;
        Ok(snapshot.passkey_missing(session.user_id, self.now()))
    }

    /// The signed-in user's passkeys, oldest first.
    pub async fn list_own_passkeys(&self, session: &Session) -> Result<Vec<Passkey>> {
        if session.stage != SessionStage::Full {
            return Err(Error::Unauthenticated);
        }
        self.store
            .list_passkeys(session.business_id, session.user_id)
            .await
    }

    /// Removes one of the signed-in user's passkeys (after a recent proof of identity).
    /// Their last second factor stays where a policy requires one; otherwise MFA is off.
    pub async fn remove_passkey(
        &self,
        ctx: &RequestContext,
        session: &Session,
        id: PasskeyId,
    ) -> Result<Passkey> {
        if session.stage != SessionStage::Full {
            return Err(Error::Unauthenticated);
        }
        self.ensure_recent_authentication(session)?;
        let user = self.session_user(session).await?;
        let mut tx = self.store.begin().await?;
        let gone = tx
            .delete_passkey(user.business_id, user.id, id)
            .await?
            .ok_or(Error::PasskeyNotFound)?;
        let totp = tx
            .get_credentials(user.id)
            .await?
            .and_then(|c| c.totp_secret)
            .is_some();
        let last = !totp && tx.count_passkeys(user.id).await? == 0;
        let now = self.now();
        let actor = self_actor(&user);
        let audit = Audit::new(now, Some(user.business_id), &actor, ctx);
        let mut events = vec![audit.event(
            "auth.passkey_removed",
            user_target(&user),
            Some(json!({ "passkey_id": gone.id, "name": gone.name })),
            None,
        )];
        if last {
            let snapshot = self
                .engine
                .snapshot_or_load(self.store.as_ref(), user.business_id)
                .await?;
            if snapshot.second_factor_required(user.id, now) {
                return Err(Error::LastSecondFactor);
            }
            tx.replace_recovery_codes(user.id, &[], now).await?;
            let (_, marked) = self
                .mark_mfa_enrolled(tx.as_mut(), &user, false, &audit)
                .await?;
            events.extend(marked);
        }
        let message = MailMessage::PasskeyRemoved {
            name: gone.name.clone(),
        };
        self.mail_user(tx.as_mut(), &user, message).await?;
        self.commit(tx, events).await?;
        Ok(gone)
    }
}
