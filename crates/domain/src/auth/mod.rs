//! Accounts and authentication primitives: the settings that govern sign-in, password policy
//! and hashing, secret tokens, TOTP, passkeys (WebAuthn) and the cipher that keeps TOTP secrets encrypted at rest.
//! The flows that use them are services (`services/auth/`); storage is [`store`].

pub mod cipher;
pub mod config;
pub mod entropy;
pub mod hasher;
pub mod model;
pub mod passkey;
pub mod passkey_store;
pub mod password;
pub mod store;
pub mod token;
pub mod totp;
pub mod webauthn;

pub use cipher::SecretCipher;
pub use config::{Argon2Params, AuthConfig, LockoutPolicy, RateLimitPolicy};
pub use entropy::{Entropy, OsEntropy};
pub use hasher::PasswordHasher;
pub use model::{AttemptReservation, AuthToken, Credentials, Session, SessionStage, TokenKind};
pub use passkey::{MfaMethod, Passkey};
pub use password::PasswordPolicy;
pub use token::{SecretToken, TokenHash};
