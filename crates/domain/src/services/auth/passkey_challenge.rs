//! WebAuthn challenges without server state until they are used: a challenge is its own
//! expiry and 16 random bytes, sealed (AES-GCM) to the ceremony it is for — the session
//! registering, passing its second factor or stepping up, or the business whose sign-in page
//! asked — so
//! it opens for nothing else. Using one records its hash (`use_webauthn_challenge`): each
//! is accepted once, on any node.

use data_encoding::BASE64URL_NOPAD;
use time::{Duration, OffsetDateTime};

use crate::Gatehouse;
use crate::auth::TokenHash;
use crate::auth::entropy::random;
use crate::auth::webauthn::RelyingParty;
use crate::error::{Error, Result};
use crate::ids::{BusinessId, SessionId};
use crate::store::StoreTx;

/// How long a ceremony may take (the browser's `timeout` says the same).
pub(super) const CEREMONY: Duration = Duration::minutes(5);

/// What a challenge is for.
#[derive(Debug, Clone, Copy)]
pub(super) enum Ceremony {
    Register(SessionId),
    SecondFactor(SessionId),
    SignIn(BusinessId),
    StepUp(SessionId),
}

impl Ceremony {
    fn context(self) -> Vec<u8> {
        match self {
            Ceremony::Register(s) => format!("webauthn:register:{s}"),
            Ceremony::SecondFactor(s) => format!("webauthn:mfa:{s}"),
            Ceremony::SignIn(b) => format!("webauthn:sign-in:{b}"),
            Ceremony::StepUp(s) => format!("webauthn:step-up:{s}"),
        }
        .into_bytes()
    }
}

/// A challenge that opened: its bytes (to mark used) and its expiry.
#[derive(Debug)]
pub(super) struct OpenedChallenge {
    hash: TokenHash,
    expires_at: OffsetDateTime,
}

impl Gatehouse {
    /// The relying party this deployment is: `auth.public_url`'s host and origin.
    pub(super) fn relying_party(&self) -> Result<RelyingParty> {
        RelyingParty::from_public_url(&self.auth.config.public_url)
    }

    /// A new challenge for `ceremony`, base64url (as the browser's options carry it).
    pub(super) fn issue_challenge(&self, ceremony: Ceremony) -> Result<String> {
        let expires = (self.now() + CEREMONY).unix_timestamp();
        let mut payload = expires.to_be_bytes().to_vec();
        payload.extend(random::<16>(self.entropy())?);
        let sealed = self
            .cipher()
            .seal(self.entropy(), &payload, &ceremony.context())?;
        Ok(BASE64URL_NOPAD.encode(sealed.as_bytes()))
    }

    /// Opens a challenge the client data named: issued by this deployment, for this
    /// ceremony, not expired. (Whether it was used is decided when it is marked used.)
    pub(super) fn open_challenge(&self, ceremony: Ceremony, raw: &[u8]) -> Result<OpenedChallenge> {
        let foreign = || Error::PasskeyRejected("the challenge was not issued for this");
        let sealed = std::str::from_utf8(raw).map_err(|_| foreign())?;
        let payload = self
            .cipher()
            .open(sealed, &ceremony.context())
            .map_err(|_| foreign())?;
        let expires = payload
            .get(..8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(i64::from_be_bytes)
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
            .ok_or_else(foreign)?;
        if self.now() >= expires {
            return Err(Error::PasskeyRejected(
                "the challenge has expired; try again",
            ));
        }
        Ok(OpenedChallenge {
            hash: TokenHash::of(raw),
            expires_at: expires,
        })
    }

    /// Marks the challenge used in `tx`; a second use (a replayed response) is refused.
    pub(super) async fn use_challenge(
        &self,
        tx: &mut dyn StoreTx,
        challenge: &OpenedChallenge,
    ) -> Result<()> {
        if tx
            .use_webauthn_challenge(&challenge.hash, challenge.expires_at, self.now())
            .await?
        {
            Ok(())
        } else {
            Err(Error::PasskeyRejected("the challenge was already used"))
        }
    }
}
