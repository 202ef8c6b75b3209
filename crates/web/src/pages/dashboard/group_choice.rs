//! Choosing a user's groups: each group shown with what it grants (its tenants, its rights in
//! Live and Sandbox, its administration rights), and before saving, what the user gains or
//! loses — rights by tenant and environment, computed from the groups' grants.

use std::collections::{BTreeMap, BTreeSet};

use gatehouse_domain::catalog::Catalog;
use gatehouse_domain::model::{Group, GroupScope, Tenant};

use super::context::label;
use super::fields::Fields;
use super::matrix::summary;

/// A group as a checkbox with what it grants.
#[derive(Debug, Clone)]
pub(crate) struct GroupChoice {
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) selected: bool,
    /// "Every tenant" or the tenants' names.
    pub(crate) reach: String,
    /// "Live: …; Sandbox: …; Administration: …", or "No rights".
    pub(crate) grants: String,
}

fn reach(g: &Group, tenants: &[Tenant]) -> String {
    match &g.scope {
        GroupScope::Business => "Business group: every tenant".to_owned(),
        GroupScope::Tenants(set) => {
            let names: Vec<String> = tenants
                .iter()
                .filter(|t| set.contains(&t.id))
                .map(|t| t.name.to_string())
                .collect();
            format!("Tenants: {}", names.join(", "))
        }
    }
}

pub(crate) fn choices(
    catalog: &Catalog,
    tenants: &[Tenant],
    groups: &[Group],
    chosen: &[&str],
) -> Vec<GroupChoice> {
    groups
        .iter()
        .map(|g| {
            let value = g.id.to_string();
            let s = summary(catalog, &g.grants);
            let parts: Vec<String> = [
                ("Live", &s.live),
                ("Sandbox", &s.sandbox),
                ("Administration", &s.business),
            ]
            .into_iter()
            .filter(|(_, l)| !l.is_empty())
            .map(|(k, l)| format!("{k}: {}", l.join(", ")))
            .collect();
            GroupChoice {
                selected: chosen.contains(&value.as_str()),
                value,
                label: g.name.to_string(),
                reach: reach(g, tenants),
                grants: if parts.is_empty() {
                    "No rights".to_owned()
                } else {
                    parts.join("; ")
                },
            }
        })
        .collect()
}

/// Where a right applies: administration, or an environment of a tenant.
type Right = (u8, String, Option<String>);

fn rights(groups: &[&Group], tenants: &[Tenant]) -> BTreeSet<Right> {
    let mut out = BTreeSet::new();
    for g in groups {
        let covered: Vec<&Tenant> = tenants
            .iter()
            .filter(|t| match &g.scope {
                GroupScope::Business => true,
                GroupScope::Tenants(set) => set.contains(&t.id),
            })
            .collect();
        if matches!(g.scope, GroupScope::Business) {
            for k in &g.grants.business {
                out.insert((0, k.to_string(), None));
            }
        }
        for (env, keys) in [(1, &g.grants.live), (2, &g.grants.sandbox)] {
            for k in keys {
                for t in &covered {
                    out.insert((env, k.to_string(), Some(t.name.to_string())));
                }
            }
        }
    }
    out
}

/// Rights as lines: "View Verification in Sandbox: United Kingdom, Germany".
fn lines(catalog: &Catalog, set: &BTreeSet<Right>, tenants: usize) -> Vec<String> {
    let mut by: BTreeMap<(u8, String), Vec<String>> = BTreeMap::new();
    for (env, key, tenant) in set {
        by.entry((*env, key.clone()))
            .or_default()
            .extend(tenant.clone());
    }
    by.into_iter()
        .map(|((env, key), ts)| {
            let name = label(catalog, &key);
            match env {
                0 => format!("{name} (administration)"),
                _ => {
                    let place = if env == 1 { "Live" } else { "Sandbox" };
                    let wh = if ts.len() == tenants && tenants > 1 {
                        "every tenant".to_owned()
                    } else {
                        ts.join(", ")
                    };
                    format!("{name} in {place}: {wh}")
                }
            }
        })
        .collect()
}

/// What a change of groups does to one user.
#[derive(Debug, Clone, Default)]
pub(crate) struct AccessChange {
    pub(crate) gained: Vec<String>,
    pub(crate) lost: Vec<String>,
}

impl AccessChange {
    pub(crate) fn is_empty(&self) -> bool {
        self.gained.is_empty() && self.lost.is_empty()
    }
}

/// The effect of moving a user from groups `before` to `after`.
pub(crate) fn change(
    catalog: &Catalog,
    tenants: &[Tenant],
    before: &[&Group],
    after: &[&Group],
) -> AccessChange {
    let (b, a) = (rights(before, tenants), rights(after, tenants));
    AccessChange {
        gained: lines(catalog, &a.difference(&b).cloned().collect(), tenants.len()),
        lost: lines(catalog, &b.difference(&a).cloned().collect(), tenants.len()),
    }
}

/// The groups a form ticks, as a fingerprint: a review holds only for the groups it showed.
pub(crate) fn fingerprint(form: &Fields) -> String {
    let mut ids = form.all("group");
    ids.sort_unstable();
    ids.join(",")
}

/// Whether the form is the confirmed submission of a review of exactly these groups.
pub(crate) fn reviewed(form: &Fields) -> bool {
    form.get("step") == "save" && form.get("reviewed") == fingerprint(form)
}
