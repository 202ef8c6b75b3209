//! Configuration of the OpenID Provider (`[oidc]`): how long tokens may live (and so how
//! long a retired signing key stays), how often nodes reload the keys, how long clients may
//! cache the JWKS and discovery documents, and the size of new RSA keys.

use anyhow::bail;
use gatehouse_domain::oidc::{OidcConfig, RsaKeySize};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcSettings {
    /// The longest lifetime of any token Gatehouse signs, in minutes (5–43200). A retired
    /// key stays published this long (plus a little) before it is deleted.
    pub max_token_lifetime_minutes: i64,
    /// How often each node reloads the signing keys, in seconds (1–3600).
    pub key_refresh_seconds: u64,
    /// `Cache-Control: max-age` of the JWKS and discovery documents, in seconds (0–86400);
    /// also how long a next key is published before a rotation may activate it.
    pub jwks_max_age_seconds: i64,
    /// The modulus size of new RS256 keys: 2048 or 3072.
    pub rsa_bits: u32,
}

impl Default for OidcSettings {
    fn default() -> Self {
        let d = OidcConfig::default();
        Self {
            max_token_lifetime_minutes: d.max_token_lifetime.whole_minutes(),
            key_refresh_seconds: d.refresh_interval.as_secs(),
            jwks_max_age_seconds: d.jwks_max_age.whole_seconds(),
            rsa_bits: d.rsa_key_size.bits(),
        }
    }
}

impl OidcSettings {
    /// The domain's settings, checked.
    pub fn oidc_config(&self) -> anyhow::Result<OidcConfig> {
        if !(5..=43_200).contains(&self.max_token_lifetime_minutes) {
            bail!(
                "oidc.max_token_lifetime_minutes must be 5 to 43200, not {}",
                self.max_token_lifetime_minutes
            );
        }
        if !(1..=3_600).contains(&self.key_refresh_seconds) {
            bail!(
                "oidc.key_refresh_seconds must be 1 to 3600, not {}",
                self.key_refresh_seconds
            );
        }
        if !(0..=86_400).contains(&self.jwks_max_age_seconds) {
            bail!(
                "oidc.jwks_max_age_seconds must be 0 to 86400, not {}",
                self.jwks_max_age_seconds
            );
        }
        let Some(rsa_key_size) = RsaKeySize::from_bits(self.rsa_bits) else {
            bail!("oidc.rsa_bits must be 2048 or 3072, not {}", self.rsa_bits);
        };
        Ok(OidcConfig {
            max_token_lifetime: time::Duration::minutes(self.max_token_lifetime_minutes),
            refresh_interval: std::time::Duration::from_secs(self.key_refresh_seconds),
            jwks_max_age: time::Duration::seconds(self.jwks_max_age_seconds),
            rsa_key_size,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bounds_are_checked() {
        let d = OidcSettings::default().oidc_config().unwrap();
        assert_eq!(d, OidcConfig::default());
        for bad in [
            OidcSettings {
                max_token_lifetime_minutes: 0,
                ..Default::default()
            },
            OidcSettings {
                key_refresh_seconds: 0,
                ..Default::default()
            },
            OidcSettings {
                jwks_max_age_seconds: -1,
                ..Default::default()
            },
            OidcSettings {
                rsa_bits: 1024,
                ..Default::default()
            },
        ] {
            assert!(bad.oidc_config().is_err(), "{bad:?}");
        }
    }
}
