//! The group editor's form: reading it (name, description, type, tenants, the permission
//! matrix), what the signed-in admin may grant, and the view the editor and its review step
//! render.

use std::collections::BTreeSet;

use gatehouse_domain::Error;
use gatehouse_domain::authz::preview::AccessEffect;
use gatehouse_domain::catalog::PermissionKey;
use gatehouse_domain::grants::{GrantScope, Grants};
use gatehouse_domain::ids::TenantId;
use gatehouse_domain::model::{Group, GroupKind, GroupScope, Tenant};
use gatehouse_domain::principal::GroupsManage;
use gatehouse_domain::types::Environment;
use gatehouse_domain::types::{Description, GroupName};

use super::context::{Dash, label};
use super::fields::Fields;
use super::matrix::{Area, BizRow, PermRow, business_rows, env_areas, grants_from};
use super::users::Opt;

/// What the form says, as typed (kept to render it again).
#[derive(Debug, Clone)]
pub(crate) struct GroupForm {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) kind: GroupKind,
    pub(crate) tenants: Vec<String>,
    pub(crate) grants: Grants,
    pub(crate) version: Option<i64>,
}

impl GroupForm {
    /// A new group starts as a Business group with no rights.
    pub(crate) fn new_group() -> Self {
        Self {
            name: String::new(),
            description: String::new(),
            kind: GroupKind::Business,
            tenants: Vec::new(),
            grants: Grants::default(),
            version: None,
        }
    }

    pub(crate) fn of(g: &Group) -> Self {
        Self {
            name: g.name.to_string(),
            description: g.description.to_string(),
            kind: g.scope.kind(),
            tenants: g
                .scope
                .tenant_ids()
                .iter()
                .map(ToString::to_string)
                .collect(),
            grants: g.grants.clone(),
            version: Some(g.version),
        }
    }

    /// Reads a submitted form. What the chosen type hides is dropped: tenants of a Business
    /// group, administration rights of a Tenants group.
    pub(crate) fn read(f: &Fields) -> Result<Self, Error> {
        let kind = match f.get("kind") {
            "tenants" => GroupKind::Tenants,
            _ => GroupKind::Business,
        };
        let mut grants = grants_from(f)?;
        let mut tenants: Vec<String> = f.all("tenant").into_iter().map(str::to_owned).collect();
        match kind {
            GroupKind::Business => tenants.clear(),
            GroupKind::Tenants => grants.business.clear(),
        }
        Ok(Self {
            name: f.get("name").to_owned(),
            description: f.get("description").to_owned(),
            kind,
            tenants,
            grants,
            version: f.get("version").parse().ok(),
        })
    }

    pub(crate) fn name(&self) -> Result<GroupName, Error> {
        GroupName::parse(&self.name)
    }

    pub(crate) fn description(&self) -> Result<Description, Error> {
        Description::parse(&self.description)
    }

    pub(crate) fn tenant_ids(&self) -> Result<Vec<TenantId>, Error> {
        self.tenants
            .iter()
            .map(|t| t.parse().map_err(|_| Error::TenantNotFound))
            .collect()
    }
}

/// The editor's view of a form.
#[derive(Debug, Clone)]
pub(crate) struct EditorView {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) business_kind: bool,
    pub(crate) tenants: Vec<Opt>,
    pub(crate) areas: Vec<Area<PermRow>>,
    pub(crate) business: Vec<BizRow>,
    pub(crate) version: String,
}

pub(crate) async fn editor_view(d: &Dash, form: &GroupForm, tenants: &[Tenant]) -> EditorView {
    // What the signed-in admin may grant, by the domain's rule for this form's scope: every
    // chosen tenant, or business-wide (also while no tenant is chosen yet).
    let access = d.principal.authorize::<GroupsManage>().ok();
    let scope = match form.kind {
        GroupKind::Tenants => {
            let set: BTreeSet<TenantId> =
                form.tenant_ids().unwrap_or_default().into_iter().collect();
            if set.is_empty() {
                GroupScope::Business
            } else {
                GroupScope::Tenants(set)
            }
        }
        GroupKind::Business => GroupScope::Business,
    };
    let may = |grant_scope: GrantScope, key: &str| {
        let (Some(access), Ok(key)) = (&access, PermissionKey::parse(key)) else {
            return false;
        };
        access.may_grant(grant_scope, &key, &scope)
    };
    let chosen: Vec<&str> = form.tenants.iter().map(String::as_str).collect();
    EditorView {
        name: form.name.clone(),
        description: form.description.clone(),
        business_kind: form.kind == GroupKind::Business,
        tenants: tenants
            .iter()
            .map(|t| {
                let value = t.id.to_string();
                Opt {
                    selected: chosen.contains(&value.as_str()),
                    value,
                    label: t.name.to_string(),
                }
            })
            .collect(),
        areas: env_areas(d.catalog(), &form.grants, |k, env| {
            let grant_scope = match env {
                Environment::Live => GrantScope::Live,
                Environment::Sandbox => GrantScope::Sandbox,
            };
            may(grant_scope, k)
        }),
        business: business_rows(d.catalog(), &form.grants, |k| may(GrantScope::Business, k)),
        version: form.version.map(|v| v.to_string()).unwrap_or_default(),
    }
}

/// One line of an effect summary: "3 users gain Delete Verification in Sandbox".
#[derive(Debug, Clone)]
pub(crate) struct EffectLine {
    pub(crate) users: usize,
    pub(crate) right: String,
    pub(crate) sensitive: bool,
}

pub(crate) fn effect_lines(d: &Dash, effect: &AccessEffect) -> (Vec<EffectLine>, Vec<EffectLine>) {
    let line = |c: &gatehouse_domain::authz::preview::RightChange| EffectLine {
        users: c.users,
        right: format!(
            "{}{}",
            label(d.catalog(), c.permission.as_str()),
            match c.scope {
                GrantScope::Business => " (administration)",
                GrantScope::Live => " in Live",
                GrantScope::Sandbox => " in Sandbox",
            }
        ),
        sensitive: d
            .catalog()
            .get(c.permission.as_str())
            .is_some_and(|p| p.sensitive),
    };
    (
        effect.gained.iter().map(line).collect(),
        effect.lost.iter().map(line).collect(),
    )
}
