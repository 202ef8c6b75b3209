//! The registered claims a verifier checks after the signature (RFC 7519 §4.1): issuer,
//! audience, expiry and not-before, against a time the caller gives (the domain's clock),
//! with a small leeway for clocks that differ between nodes.

use serde::Deserialize;

use crate::error::JwtError;

/// The registered claims as they may appear in a token.
#[derive(Debug, Default, Deserialize)]
struct Registered {
    iss: Option<String>,
    aud: Option<Audience>,
    exp: Option<i64>,
    nbf: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// What a verifier expects of the registered claims.
#[derive(Debug, Clone)]
pub struct ClaimChecks<'a> {
    /// The `iss` the token must carry.
    pub issuer: &'a str,
    /// One of these must be in `aud`; empty: `aud` is not checked.
    pub audiences: &'a [&'a str],
    /// Now, in seconds since the epoch.
    pub now: i64,
    /// Seconds of clock difference forgiven on `exp` and `nbf`.
    pub leeway: i64,
    /// Whether a token without `exp` is refused (it is for every token we issue).
    pub require_exp: bool,
}

impl ClaimChecks<'_> {
    /// Checks the registered claims of `claims` (the token's payload as JSON).
    pub fn check(&self, claims: &serde_json::Value) -> Result<(), JwtError> {
        let r: Registered = serde_json::from_value(claims.clone())
            .map_err(|e| JwtError::InvalidClaims(e.to_string()))?;
        if r.iss.as_deref() != Some(self.issuer) {
            return Err(JwtError::WrongIssuer);
        }
        if !self.audiences.is_empty() {
            let held = match &r.aud {
                None => return Err(JwtError::MissingClaim("aud")),
                Some(Audience::One(a)) => std::slice::from_ref(a),
                Some(Audience::Many(list)) => list.as_slice(),
            };
            if !held.iter().any(|a| self.audiences.contains(&a.as_str())) {
                return Err(JwtError::WrongAudience);
            }
        }
        match r.exp {
            Some(exp) if self.now >= exp.saturating_add(self.leeway) => {
                return Err(JwtError::Expired);
            }
            None if self.require_exp => return Err(JwtError::MissingClaim("exp")),
            _ => {}
        }
        if r.nbf
            .is_some_and(|nbf| self.now.saturating_add(self.leeway) < nbf)
        {
            return Err(JwtError::NotYetValid);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn checks(now: i64) -> ClaimChecks<'static> {
        ClaimChecks {
            issuer: "https://id.example.com/b/acme",
            audiences: &["app-1"],
            now,
            leeway: 30,
            require_exp: true,
        }
    }

    #[test]
    fn registered_claims_are_checked() {
        let ok = json!({"iss": "https://id.example.com/b/acme", "aud": "app-1", "exp": 1000, "nbf": 900});
        assert_eq!(checks(950).check(&ok), Ok(()));
        assert_eq!(checks(1029).check(&ok), Ok(()), "within the leeway");
        assert_eq!(checks(1030).check(&ok), Err(JwtError::Expired));
        assert_eq!(checks(869).check(&ok), Err(JwtError::NotYetValid));
        let many =
            json!({"iss": "https://id.example.com/b/acme", "aud": ["x", "app-1"], "exp": 1000});
        assert_eq!(checks(950).check(&many), Ok(()));
        let other_aud = json!({"iss": "https://id.example.com/b/acme", "aud": ["x"], "exp": 1000});
        assert_eq!(checks(950).check(&other_aud), Err(JwtError::WrongAudience));
        let other_iss =
            json!({"iss": "https://id.example.com/b/other", "aud": "app-1", "exp": 1000});
        assert_eq!(checks(950).check(&other_iss), Err(JwtError::WrongIssuer));
        let no_exp = json!({"iss": "https://id.example.com/b/acme", "aud": "app-1"});
        assert_eq!(
            checks(950).check(&no_exp),
            Err(JwtError::MissingClaim("exp"))
        );
        let no_aud = json!({"iss": "https://id.example.com/b/acme", "exp": 1000});
        assert_eq!(
            checks(950).check(&no_aud),
            Err(JwtError::MissingClaim("aud"))
        );
        let bad = json!({"iss": 5, "exp": 1000});
        assert!(matches!(
            checks(950).check(&bad),
            Err(JwtError::InvalidClaims(_))
        ));
    }
}
