//! A set of rights: business-scope permissions plus environment permissions per environment.
//! Groups and API keys both carry one.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::catalog::PermissionKey;
use crate::types::Environment;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    /// Business-scope (administration) permissions.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub business: BTreeSet<PermissionKey>,
    /// Environment permissions granted in Live.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub live: BTreeSet<PermissionKey>,
    /// Environment permissions granted in Sandbox.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub sandbox: BTreeSet<PermissionKey>,
}

impl Grants {
    pub fn environment(&self, env: Environment) -> &BTreeSet<PermissionKey> {
        match env {
            Environment::Live => &self.live,
            Environment::Sandbox => &self.sandbox,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.business.is_empty() && self.live.is_empty() && self.sandbox.is_empty()
    }

    /// Every `(scope, permission)` pair, scope being `business`, `live` or `sandbox`.
    pub fn entries(&self) -> impl Iterator<Item = (&'static str, &PermissionKey)> {
        let tag = |scope: &'static str| move |k| (scope, k);
        self.business
            .iter()
            .map(tag("business"))
            .chain(self.live.iter().map(tag("live")))
            .chain(self.sandbox.iter().map(tag("sandbox")))
    }

    /// What `self` has that `before` had not.
    pub fn added_to(&self, before: &Grants) -> Grants {
        Grants {
            business: self
                .business
                .difference(&before.business)
                .cloned()
                .collect(),
            live: self.live.difference(&before.live).cloned().collect(),
            sandbox: self.sandbox.difference(&before.sandbox).cloned().collect(),
        }
    }

    /// What `self` grants that `holder` does not hold, as `scope:key` strings (empty when
    /// `self` is a subset of `holder`).
    pub fn missing_from(&self, holder: &Grants) -> Vec<String> {
        let held = |scope: &str, k: &PermissionKey| match scope {
            "business" => holder.business.contains(k),
            "live" => holder.live.contains(k),
            _ => holder.sandbox.contains(k),
        };
        self.entries()
            .filter(|(s, k)| !held(s, k))
            .map(|(s, k)| format!("{s}:{k}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(keys: &[&str]) -> BTreeSet<PermissionKey> {
        keys.iter()
            .map(|k| PermissionKey::parse(k).unwrap())
            .collect()
    }

    #[test]
    fn subset_is_per_environment() {
        let holder = Grants {
            business: set(&["users.view"]),
            live: BTreeSet::new(),
            sandbox: set(&["analytics"]),
        };
        let want = Grants {
            business: set(&["users.view"]),
            live: set(&["analytics"]),
            sandbox: set(&["analytics"]),
        };
        assert_eq!(
            want.missing_from(&holder),
            vec!["live:analytics".to_owned()]
        );
        let ok = Grants {
            business: BTreeSet::new(),
            live: BTreeSet::new(),
            sandbox: set(&["analytics"]),
        };
        assert!(ok.missing_from(&holder).is_empty());
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<Grants>(r#"{"production":["analytics"]}"#).is_err());
    }
}
