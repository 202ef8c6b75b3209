//! The storage passkeys need, as two traits the `Store` and `StoreTx` also are.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::passkey::Passkey;
use super::token::TokenHash;
use crate::error::Result;
use crate::ids::{BusinessId, PasskeyId, UserId};

#[async_trait]
pub trait PasskeyReads: Send + Sync {
    /// The user's passkeys, oldest first.
    async fn list_passkeys(&self, business: BusinessId, user: UserId) -> Result<Vec<Passkey>>;
    /// The passkey with this credential id (base64url), whoever's it is: the caller checks
    /// that it belongs to the user and business the ceremony is for.
    async fn get_passkey_by_credential(&self, credential_id: &str) -> Result<Option<Passkey>>;
}

#[async_trait]
pub trait PasskeyWrites: Send {
    /// Stores a new passkey (and records its user for the change feed: the engine's MFA
    /// rule counts passkeys). `false` when its credential id is already registered.
    async fn insert_passkey(&mut self, passkey: &Passkey) -> Result<bool>;
    /// Deletes one of the user's passkeys; the passkey, or `None` if it was not theirs.
    async fn delete_passkey(
        &mut self,
        business: BusinessId,
        user: UserId,
        id: PasskeyId,
    ) -> Result<Option<Passkey>>;
    /// Deletes every passkey of the user; how many.
    async fn delete_user_passkeys(&mut self, business: BusinessId, user: UserId) -> Result<u64>;
    async fn count_passkeys(&mut self, user: UserId) -> Result<i64>;
    /// Records a use: the new counter and backup state, if the stored counter is still
    /// `seen` (of two simultaneous uses of one signature counter, one wins). `false` if not.
    async fn record_passkey_use(
        &mut self,
        id: PasskeyId,
        seen: u32,
        sign_count: u32,
        backed_up: bool,
        at: OffsetDateTime,
    ) -> Result<bool>;
    /// Marks a challenge used until `expires_at` (forgetting those expired at `now`);
    /// `false` when it had been used already, on any node.
    async fn use_webauthn_challenge(
        &mut self,
        hash: &TokenHash,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool>;
}
