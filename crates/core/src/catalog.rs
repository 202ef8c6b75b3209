//! The permission catalog: which feature rights exist, their scope and whether they are
//! sensitive. The default is built in; configuration may add permissions and relabel or mark
//! existing ones sensitive.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::grants::{Grants, ScopedPermission};

/// A permission's key, e.g. `verification.view`: dotted segments of `a-z`, `0-9` and `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PermissionKey(String);

impl PermissionKey {
    pub fn parse(raw: &str) -> Result<Self> {
        let segment_ok = |s: &str| {
            s.starts_with(|c: char| c.is_ascii_lowercase())
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        if raw.is_empty() || raw.len() > 64 || !raw.split('.').all(segment_ok) {
            return Err(Error::UnknownPermission(raw.chars().take(64).collect()));
        }
        Ok(Self(raw.to_owned()))
    }
}

crate::types::string_newtype!(
    PermissionKey,
    crate::types::text_schema(
        "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$",
        "A permission key of the catalog (`GET /api/v1/permissions`), e.g. `verification.view`."
    )
    .max_length(Some(64))
);

/// Where a permission applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PermissionScope {
    /// Granted per environment, in the tenants a group covers.
    Environment,
    /// Administration of the business; not per environment or tenant.
    Business,
}

/// One entry of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PermissionDef {
    pub key: PermissionKey,
    pub label: String,
    pub description: String,
    pub scope: PermissionScope,
    pub sensitive: bool,
}

/// A catalog entry from configuration: adds a permission, or changes the label, description
/// or sensitivity of an existing one.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionConfig {
    pub key: String,
    pub label: Option<String>,
    pub description: Option<String>,
    pub scope: Option<PermissionScope>,
    pub sensitive: Option<bool>,
}

/// The set of permissions a deployment knows. Unknown keys are never granted.
#[derive(Debug, Clone)]
pub struct Catalog {
    entries: BTreeMap<PermissionKey, PermissionDef>,
}

const DEFAULTS: &[(&str, &str, &str, PermissionScope, bool)] = {
    use PermissionScope::{Business as B, Environment as E};
    &[
        (
            "verification.perform",
            "Perform Verification",
            "Initiate a verification manually",
            E,
            false,
        ),
        (
            "verification.view",
            "View Verification",
            "Access user verification results",
            E,
            false,
        ),
        (
            "verification.view_original_selfie",
            "View Original Selfie",
            "See the full selfie image",
            E,
            true,
        ),
        (
            "verification.delete",
            "Delete Verification",
            "Remove verification records permanently",
            E,
            true,
        ),
        (
            "verification.export",
            "Export Verification",
            "Download verification summary reports",
            E,
            true,
        ),
        (
            "verification.manual_decision",
            "Manual Decisions",
            "Override the outcome of a verification journey",
            E,
            false,
        ),
        (
            "flow_builder",
            "Flow Builder",
            "Design and change flows in the visual builder",
            E,
            false,
        ),
        (
            "theme_designer",
            "Theme Designer",
            "Customise branding and UI elements",
            E,
            false,
        ),
        (
            "developer_area",
            "Developer Area",
            "Manage credentials, webhooks and integration settings",
            E,
            true,
        ),
        (
            "analytics",
            "Analytics",
            "View reports and usage metrics",
            E,
            false,
        ),
        (
            "users.view",
            "View users",
            "See users, their groups, status and MFA state",
            B,
            false,
        ),
        (
            "users.manage",
            "Manage users",
            "Invite, edit, reset and deactivate users",
            B,
            true,
        ),
        (
            "groups.manage",
            "Manage groups",
            "Create, edit and delete groups",
            B,
            true,
        ),
        (
            "audit.view",
            "View audit log",
            "Read the audit log and access reviews",
            B,
            false,
        ),
        (
            "settings.manage",
            "Manage security settings",
            "MFA policy, password policy, sessions",
            B,
            true,
        ),
        (
            "api_keys.manage",
            "Manage API keys",
            "Create and revoke API keys and SCIM tokens",
            B,
            true,
        ),
        (
            "applications.manage",
            "Manage applications",
            "Register OpenID Connect applications, their redirect addresses and secrets",
            B,
            true,
        ),
        (
            "scim.provision",
            "Provision through SCIM",
            "Create, update, deactivate and delete users and group memberships through SCIM",
            B,
            true,
        ),
        (
            "webhooks.manage",
            "Manage webhooks",
            "Webhook endpoints, their secrets and delivery logs",
            B,
            true,
        ),
        (
            "reviews.manage",
            "Manage access reviews",
            "Start, schedule and close access reviews (reviewers need no extra right for their items)",
            B,
            false,
        ),
        (
            "authz.check",
            "Check authorization",
            "Ask Gatehouse for access decisions",
            B,
            false,
        ),
    ]
};

impl Default for Catalog {
    fn default() -> Self {
        let entries = DEFAULTS
            .iter()
            .filter_map(|&(key, label, description, scope, sensitive)| {
                let key = PermissionKey::parse(key).ok()?;
                let def = PermissionDef {
                    key: key.clone(),
                    label: label.to_owned(),
                    description: description.to_owned(),
                    scope,
                    sensitive,
                };
                Some((key, def))
            })
            .collect();
        Self { entries }
    }
}

/// Why a configured catalog was refused.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog: `{0}` is not a valid permission key")]
    InvalidKey(String),
    #[error("catalog: new permission `{0}` needs a label and a scope")]
    Incomplete(String),
    #[error("catalog: the scope of built-in permission `{0}` cannot change")]
    ScopeChange(String),
}

impl Catalog {
    /// The default catalog with configuration applied on top.
    pub fn with_config(config: &[PermissionConfig]) -> Result<Self, CatalogError> {
        let mut catalog = Self::default();
        for entry in config {
            let key = PermissionKey::parse(&entry.key)
                .map_err(|_| CatalogError::InvalidKey(entry.key.clone()))?;
            match catalog.entries.get_mut(&key) {
                Some(def) => {
                    if entry.scope.is_some_and(|s| s != def.scope) {
                        return Err(CatalogError::ScopeChange(entry.key.clone()));
                    }
                    if let Some(label) = &entry.label {
                        def.label.clone_from(label);
                    }
                    if let Some(description) = &entry.description {
                        def.description.clone_from(description);
                    }
                    if let Some(sensitive) = entry.sensitive {
                        def.sensitive = sensitive;
                    }
                }
                None => {
                    let (Some(label), Some(scope)) = (&entry.label, entry.scope) else {
                        return Err(CatalogError::Incomplete(entry.key.clone()));
                    };
                    let def = PermissionDef {
                        key: key.clone(),
                        label: label.clone(),
                        description: entry.description.clone().unwrap_or_default(),
                        scope,
                        sensitive: entry.sensitive.unwrap_or(false),
                    };
                    catalog.entries.insert(key, def);
                }
            }
        }
        Ok(catalog)
    }

    pub fn get(&self, key: &str) -> Option<&PermissionDef> {
        PermissionKey::parse(key)
            .ok()
            .and_then(|k| self.entries.get(&k))
    }

    pub fn iter(&self) -> impl Iterator<Item = &PermissionDef> {
        self.entries.values()
    }

    /// Every permission of `scope`.
    pub fn keys_of(&self, scope: PermissionScope) -> BTreeSet<PermissionKey> {
        self.iter()
            .filter(|d| d.scope == scope)
            .map(|d| d.key.clone())
            .collect()
    }

    /// A grant set holding every permission of the catalog, everywhere.
    pub fn everything(&self) -> Grants {
        let env = self.keys_of(PermissionScope::Environment);
        Grants {
            business: self.keys_of(PermissionScope::Business),
            live: env.clone(),
            sandbox: env,
        }
    }

    /// Checks that every key of `grants` exists and is used in its own scope.
    pub fn validate(&self, grants: &Grants) -> Result<()> {
        let check = |keys: &BTreeSet<PermissionKey>, want: PermissionScope, scope: &'static str| {
            keys.iter().try_for_each(|k| match self.entries.get(k) {
                None => Err(Error::UnknownPermission(k.to_string())),
                Some(def) if def.scope != want => Err(Error::PermissionScopeMismatch {
                    permission: k.to_string(),
                    scope,
                }),
                Some(_) => Ok(()),
            })
        };
        check(&grants.business, PermissionScope::Business, "business")?;
        check(&grants.live, PermissionScope::Environment, "live")?;
        check(&grants.sandbox, PermissionScope::Environment, "sandbox")
    }

    /// The sensitive permissions `grants` contains.
    pub fn sensitive_in(&self, grants: &Grants) -> Vec<ScopedPermission> {
        grants
            .entries()
            .filter(|(_, k)| self.entries.get(*k).is_some_and(|d| d.sensitive))
            .map(|(scope, k)| ScopedPermission::new(scope, k))
            .collect()
    }
}

#[cfg(test)]
mod tests;
