//! Accounts and authentication: sign-in with lockout and rate limits, sessions, the second
//! factor, passwords and their reset, invitations, administrators' actions on accounts and
//! the first-start setup. Each flow is one file; what they share is here.

mod admin;
pub(crate) use admin::{ADMINISTRATOR_PERMISSIONS, ensure_admin_remains, lock_and_count_admins};
mod invitations;
mod limits;
mod mfa;
mod passkey_challenge;
mod passkey_sign_in;
mod passkeys;
mod passwords;
mod sessions;
pub(crate) use sessions::self_actor;
mod setup;
mod sign_in;
mod sign_in_links;
mod step_up;

use std::sync::Arc;

use time::OffsetDateTime;

pub use invitations::InvitationView;
pub use limits::SignInHold;
pub use mfa::{Enrolment, RECOVERY_CODES};
pub use passkeys::{PASSKEY_NAME_MAX, PasskeyRegistered};
pub use setup::SetupForm;

use super::Gatehouse;
use crate::auth::entropy::random;
use crate::auth::{
    AuthConfig, AuthToken, Entropy, MfaMethod, OsEntropy, PasswordHasher, SecretCipher,
    SecretToken, Session, SessionStage, TokenKind,
};
use crate::authz::MfaRequirement;
use crate::error::{Error, Result};
use crate::ids::SessionId;
use crate::mail::{DiscardMailer, Mailer};
use crate::model::{User, UserStatus};
use crate::store::StoreTx;

/// How authentication is set up by the binary (or a test).
#[derive(Debug)]
pub struct AuthSetup {
    pub config: AuthConfig,
    pub cipher: SecretCipher,
    pub entropy: Arc<dyn Entropy>,
    pub mailer: Arc<dyn Mailer>,
}

#[derive(Debug)]
pub(crate) struct AuthRuntime {
    pub(crate) config: AuthConfig,
    hasher: PasswordHasher,
    pub(crate) cipher: SecretCipher,
    pub(crate) entropy: Arc<dyn Entropy>,
    mailer: Arc<dyn Mailer>,
}

impl AuthRuntime {
    /// Defaults with a key that lives as long as the process and no mail: for a core built
    /// without [`Gatehouse::with_auth`].
    pub(crate) fn ephemeral() -> Self {
        let config = AuthConfig::default();
        let key = random::<32>(&OsEntropy).unwrap_or_else(|e| {
            tracing::error!(error = %e, "no randomness for the ephemeral TOTP key");
            [0; 32]
        });
        let hasher = PasswordHasher::new(config.argon2, config.hash_concurrency)
            .unwrap_or_else(|_| PasswordHasher::owasp(config.hash_concurrency));
        Self {
            hasher,
            cipher: SecretCipher::new((1, key), &[]),
            entropy: Arc::new(OsEntropy),
            mailer: Arc::new(DiscardMailer),
            config,
        }
    }

    /// Where the mail sender delivers.
    pub(crate) fn mailer(&self) -> &dyn Mailer {
        self.mailer.as_ref()
    }
}

/// A session just opened: the token goes into the cookie, once.
#[derive(Debug)]
pub struct NewSession {
    pub token: SecretToken,
    pub session: Session,
}

impl Gatehouse {
    /// Sets authentication up: settings, TOTP keys, randomness and the mailer.
    pub fn with_auth(mut self, setup: AuthSetup) -> Result<Self> {
        let hasher = PasswordHasher::new(setup.config.argon2, setup.config.hash_concurrency)?;
        self.auth = Arc::new(AuthRuntime {
            config: setup.config,
            hasher,
            cipher: setup.cipher,
            entropy: setup.entropy,
            mailer: setup.mailer,
        });
        Ok(self)
    }

    pub fn auth_config(&self) -> &AuthConfig {
        &self.auth.config
    }

    /// The password hasher (the benchmark compares sign-in against it).
    pub fn password_hasher(&self) -> &PasswordHasher {
        &self.auth.hasher
    }

    /// The cipher that seals secrets at rest (TOTP secrets, signing keys).
    pub(crate) fn cipher(&self) -> &SecretCipher {
        &self.auth.cipher
    }

    /// The randomness the services use.
    pub(crate) fn entropy(&self) -> &dyn Entropy {
        self.auth.entropy.as_ref()
    }

    /// An absolute link to `path` (which starts with `/`).
    pub(crate) fn link(&self, path: &str) -> String {
        format!(
            "{}{path}",
            self.auth.config.public_url.trim_end_matches('/')
        )
    }

    /// 32 bytes from the entropy source (the only randomness the services use).
    pub(crate) fn random_bytes(&self) -> Result<[u8; 32]> {
        random::<32>(self.auth.entropy.as_ref())
    }

    /// A fresh random token for a form's CSRF cookie, base64url.
    pub fn new_form_token(&self) -> Result<String> {
        Ok(data_encoding::BASE64URL_NOPAD.encode(&self.random_bytes()?))
    }

    pub(crate) fn new_token(&self) -> Result<SecretToken> {
        SecretToken::generate(self.auth.entropy.as_ref())
    }

    pub(crate) async fn hash_password(&self, password: &str) -> Result<String> {
        let salt = random::<16>(self.auth.entropy.as_ref())?;
        self.auth.hasher.hash(password, salt).await
    }

    /// Opens a session in `tx` (replacing `replace`, the half-signed-in session being
    /// completed with the second factor `factor`; or with `factor` a passkey alone). A full
    /// session clears the failure count; a half one does not, so a correct password cannot
    /// buy more guesses at the second factor.
    pub(crate) async fn start_session(
        &self,
        tx: &mut dyn StoreTx,
        ctx: &crate::audit::RequestContext,
        user: &User,
        stage: SessionStage,
        (replace, factor): (Option<&Session>, Option<MfaMethod>),
    ) -> Result<NewSession> {
        let now = self.now();
        if let Some(old) = replace {
            tx.delete_session_by_hash(&old.token_hash).await?;
        }
        if stage == SessionStage::Full {
            // Decided under the credentials row's lock: an account locked by attempts that
            // failed meanwhile stays locked, and no lock is cleared while its status says so.
            tx.lock_credentials(user.id).await?;
            let current = tx
                .get_user(user.business_id, user.id)
                .await?
                .ok_or(Error::Unauthenticated)?;
            if current.status != UserStatus::Active {
                return Err(Error::SignInFailed);
            }
            tx.reset_sign_in_failures(user.id).await?;
        }
        let token = self.new_token()?;
        let cfg = &self.auth.config;
        // A half-signed-in session only has to last the second step.
        let lifetime = match stage {
            SessionStage::Full => cfg.session_absolute,
            SessionStage::Mfa | SessionStage::Enrol => cfg.session_absolute.min(cfg.session_idle),
        };
        let session = Session {
            id: SessionId::new(now),
            token_hash: token.hash(),
            business_id: user.business_id,
            user_id: user.id,
            stage,
            created_at: now,
            authenticated_at: now,
            // Completing a half-signed-in session means its second factor was just passed;
            // a passkey with user verification is two factors at once.
            mfa_at: factor
                .filter(|f| {
                    *f == MfaMethod::PasskeyOnly
                        || replace.is_some_and(|old| {
                            matches!(old.stage, SessionStage::Mfa | SessionStage::Enrol)
                        })
                })
                .map(|_| now),
            mfa_method: factor,
            last_seen_at: now,
            expires_at: now + lifetime,
            client_ip: ctx.client_ip.clone(),
            user_agent: ctx.user_agent.clone(),
        };
        tx.insert_session(&session).await?;
        Ok(NewSession { token, session })
    }

    /// Issues a single-use token of `kind` for `user` (`None`: the setup link) in `tx`,
    /// valid for `ttl`; returns it and its expiry.
    pub(crate) async fn issue_token(
        &self,
        tx: &mut dyn StoreTx,
        kind: TokenKind,
        user: Option<&User>,
        ttl: time::Duration,
    ) -> Result<(SecretToken, OffsetDateTime)> {
        let (token, stored) = self.prepare_token(kind, user, ttl)?;
        tx.insert_auth_token(&stored).await?;
        Ok((token, stored.expires_at))
    }

    /// A new token of `kind` and its stored form, not yet written.
    pub(crate) fn prepare_token(
        &self,
        kind: TokenKind,
        user: Option<&User>,
        ttl: time::Duration,
    ) -> Result<(SecretToken, AuthToken)> {
        let now = self.now();
        let token = self.new_token()?;
        let stored = AuthToken {
            hash: token.hash(),
            kind,
            business_id: user.map(|u| u.business_id),
            user_id: user.map(|u| u.id),
            created_at: now,
            expires_at: now + ttl,
            used_at: None,
            revoked_at: None,
        };
        Ok((token, stored))
    }

    /// Opens a session at `stage` for a user who just proved who they are, audited.
    pub(crate) async fn open_session(
        &self,
        ctx: &crate::audit::RequestContext,
        user: &User,
        stage: SessionStage,
    ) -> Result<NewSession> {
        let mut tx = self.store.begin().await?;
        let opened = self
            .start_session(tx.as_mut(), ctx, user, stage, (None, None))
            .await?;
        let actor = sessions::self_actor(user);
        let audit = super::Audit::new(self.now(), Some(user.business_id), &actor, ctx);
        let event = audit.event(
            "auth.signed_in",
            super::user_target(user),
            None,
            Some(serde_json::json!({ "stage": stage.as_str(), "session_id": opened.session.id })),
        );
        self.commit(tx, vec![event]).await?;
        Ok(opened)
    }

    /// Where a user goes after their password: the second factor if enrolled, enrolment if
    /// the MFA policy requires it now (the engine's rule, the same the checks apply),
    /// otherwise in. `require_mfa` asks for a second factor (or its enrolment) regardless
    /// of the policy.
    pub(crate) async fn stage_after_password(
        &self,
        user: &User,
        now: OffsetDateTime,
        require_mfa: bool,
    ) -> Result<SessionStage> {
        if user.mfa_enrolled {
            return Ok(SessionStage::Mfa);
        }
        if require_mfa {
            return Ok(SessionStage::Enrol);
        }
        let snapshot = self
            .engine
            .snapshot_or_load(self.store.as_ref(), user.business_id)
            .await?;
        Ok(match snapshot.mfa_requirement(user.id, now) {
            Some(MfaRequirement::Required) => SessionStage::Enrol,
            Some(MfaRequirement::Enrolled) => SessionStage::Mfa,
            _ => SessionStage::Full,
        })
    }
}

/// The error for a token that cannot be used.
pub(crate) fn unusable(state: crate::auth::model::TokenState) -> Error {
    use crate::auth::model::TokenState;
    Error::LinkUnusable(match state {
        TokenState::Usable | TokenState::Unknown => "is not valid",
        TokenState::Expired => "has expired",
        TokenState::Used => "was already used",
        TokenState::Revoked => "was revoked",
    })
}
