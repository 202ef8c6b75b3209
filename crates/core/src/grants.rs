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

/// Where a grant applies: business-scope (administration), or one environment.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum GrantScope {
    Business,
    Live,
    Sandbox,
}

impl GrantScope {
    pub const ALL: [GrantScope; 3] = [GrantScope::Business, GrantScope::Live, GrantScope::Sandbox];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantScope::Business => "business",
            GrantScope::Live => "live",
            GrantScope::Sandbox => "sandbox",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        GrantScope::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The environment of an environment scope; `None` for business scope.
    pub fn environment(self) -> Option<Environment> {
        match self {
            GrantScope::Business => None,
            GrantScope::Live => Some(Environment::Live),
            GrantScope::Sandbox => Some(Environment::Sandbox),
        }
    }
}

/// A permission in a scope, written `scope:key` (`live:verification.delete`) where it
/// must be text (error details).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScopedPermission {
    pub scope: GrantScope,
    pub permission: PermissionKey,
}

impl ScopedPermission {
    pub fn new(scope: GrantScope, permission: &PermissionKey) -> Self {
        Self {
            scope,
            permission: permission.clone(),
        }
    }
}

impl std::fmt::Display for ScopedPermission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.scope.as_str(), self.permission)
    }
}

impl Serialize for ScopedPermission {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
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

    /// The permissions granted in `scope`.
    pub fn in_scope(&self, scope: GrantScope) -> &BTreeSet<PermissionKey> {
        match scope {
            GrantScope::Business => &self.business,
            GrantScope::Live => &self.live,
            GrantScope::Sandbox => &self.sandbox,
        }
    }

    /// Every `(scope, permission)` pair.
    pub fn entries(&self) -> impl Iterator<Item = (GrantScope, &PermissionKey)> {
        GrantScope::ALL
            .into_iter()
            .flat_map(move |scope| self.in_scope(scope).iter().map(move |k| (scope, k)))
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

    /// What `self` grants that `holder` does not hold (empty when `self` is a subset of
    /// `holder`).
    pub fn missing_from(&self, holder: &Grants) -> Vec<ScopedPermission> {
        self.entries()
            .filter(|(scope, k)| !holder.in_scope(*scope).contains(*k))
            .map(|(scope, k)| ScopedPermission::new(scope, k))
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
        let missing = want.missing_from(&holder);
        assert_eq!(
            missing.iter().map(ToString::to_string).collect::<Vec<_>>(),
            vec!["live:analytics".to_owned()]
        );
        assert_eq!(missing[0].scope, GrantScope::Live);
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
