//! The settings of sign-in: lifetimes, lockout, rate limits, password rules, argon2 cost.

use time::Duration;

use super::password::PasswordPolicy;
use crate::mail::outbox::DeliveryPolicy;

/// argon2id cost parameters (OWASP's recommendation by default: 19 MiB, 2 passes, 1 lane).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Brute-force protection per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive failures (password or second factor) that lock the account.
    pub threshold: u32,
    /// How long a lock lasts; then the account unlocks by itself.
    pub duration: Duration,
    /// Failures allowed before each further attempt must wait (a growing delay).
    pub throttle_after: u32,
    /// The longest such wait.
    pub throttle_max: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            threshold: 10,
            duration: Duration::minutes(15),
            throttle_after: 3,
            throttle_max: Duration::seconds(60),
        }
    }
}

impl LockoutPolicy {
    /// How long the account must wait after its `failures`-th consecutive failure: nothing
    /// for the first few, then 1 s, 2 s, 4 s, … up to the maximum.
    pub fn delay_after(&self, failures: i64) -> Duration {
        let over = failures - i64::from(self.throttle_after);
        if over < 0 {
            return Duration::ZERO;
        }
        let secs = 1_i64.checked_shl(u32::try_from(over.min(30)).unwrap_or(30));
        secs.map_or(self.throttle_max, Duration::seconds)
            .min(self.throttle_max)
    }
}

/// Per-client-address limits on the unauthenticated endpoints, per window; and how often
/// one address may be mailed its sign-in links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitPolicy {
    pub window: Duration,
    pub sign_in: u32,
    pub mfa: u32,
    pub password_reset: u32,
    /// "Where do I sign in?" requests (an email typed on the landing page).
    pub sign_in_links: u32,
    /// At most one sign-in-links mail per email address in this time, whoever asks.
    pub sign_in_links_interval: Duration,
}

impl Default for RateLimitPolicy {
    fn default() -> Self {
        Self {
            window: Duration::minutes(1),
            sign_in: 30,
            mfa: 30,
            password_reset: 10,
            sign_in_links: 10,
            sign_in_links_interval: Duration::minutes(15),
        }
    }
}

/// Everything authentication is told by configuration.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The address users reach Gatehouse at, without a trailing slash; links in mails
    /// start with it.
    pub public_url: String,
    pub password: PasswordPolicy,
    pub argon2: Argon2Params,
    /// How many password hashes run at once (the rest wait); defaults to the core count.
    pub hash_concurrency: usize,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub invitation_ttl: Duration,
    pub reset_ttl: Duration,
    pub setup_ttl: Duration,
    pub lockout: LockoutPolicy,
    pub rate_limit: RateLimitPolicy,
    /// How recent a proof of identity (the sign-in, or a step-up) must be for changes to
    /// one's own second factor.
    pub step_up_window: Duration,
    /// How queued mail is delivered: retries, back-off, leases.
    pub mail_delivery: DeliveryPolicy,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".to_owned(),
            password: PasswordPolicy::default(),
            argon2: Argon2Params::default(),
            hash_concurrency: std::thread::available_parallelism().map_or(2, usize::from),
            session_idle: Duration::minutes(30),
            session_absolute: Duration::hours(12),
            invitation_ttl: Duration::days(7),
            reset_ttl: Duration::hours(1),
            setup_ttl: Duration::days(1),
            lockout: LockoutPolicy::default(),
            rate_limit: RateLimitPolicy::default(),
            step_up_window: Duration::minutes(5),
            mail_delivery: DeliveryPolicy::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_are_capped() {
        let p = LockoutPolicy::default();
        assert_eq!(p.delay_after(1), Duration::ZERO);
        assert_eq!(p.delay_after(2), Duration::ZERO);
        assert_eq!(p.delay_after(3), Duration::seconds(1));
        assert_eq!(p.delay_after(4), Duration::seconds(2));
        assert_eq!(p.delay_after(6), Duration::seconds(8));
        assert_eq!(p.delay_after(9), Duration::seconds(60));
        assert_eq!(p.delay_after(200), Duration::seconds(60));
    }
}
