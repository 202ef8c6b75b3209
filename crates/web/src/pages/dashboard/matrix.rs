//! Permission matrices as pages show them: catalog rows grouped by area (with labels,
//! descriptions and the sensitive mark) against Live and Sandbox; the checkboxes of a form
//! read back into grants; a user's effective matrix with the groups that grant each cell.

use std::collections::BTreeMap;

use gatehouse_domain::authz::matrix::{EffectivePermissions, Grant};
use gatehouse_domain::catalog::{Catalog, PermissionDef, PermissionKey, PermissionScope};
use gatehouse_domain::grants::Grants;
use gatehouse_domain::model::Tenant;
use gatehouse_domain::types::Environment;

use super::fields::Fields;

/// One environment permission in a form.
#[derive(Debug, Clone)]
pub(crate) struct PermRow {
    pub(crate) key: String,
    pub(crate) label: String,
    pub(crate) description: String,
    pub(crate) sensitive: bool,
    pub(crate) live: bool,
    pub(crate) sandbox: bool,
    /// Whether the signed-in user holds it (and so may grant it) there.
    pub(crate) held_live: bool,
    pub(crate) held_sandbox: bool,
}

/// Rows of one area (`verification`, features, administration).
#[derive(Debug, Clone)]
pub(crate) struct Area<R> {
    pub(crate) name: String,
    pub(crate) rows: Vec<R>,
}

/// One business permission in a form.
#[derive(Debug, Clone)]
pub(crate) struct BizRow {
    pub(crate) key: String,
    pub(crate) label: String,
    pub(crate) description: String,
    pub(crate) sensitive: bool,
    pub(crate) checked: bool,
    pub(crate) held: bool,
}

/// The area a permission belongs to: its first dotted segment, or "Features".
fn area_of(key: &str) -> String {
    match key.split_once('.') {
        Some((area, _)) => {
            let mut c = area.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
        None => "Features".to_owned(),
    }
}

/// `defs` grouped by area, dotted areas first, each in catalog order.
fn grouped<'a, R>(
    defs: impl Iterator<Item = &'a PermissionDef>,
    row: impl Fn(&PermissionDef) -> R,
) -> Vec<Area<R>> {
    let mut areas: BTreeMap<(bool, String), Vec<R>> = BTreeMap::new();
    for d in defs {
        let name = area_of(d.key.as_str());
        areas
            .entry((!d.key.as_str().contains('.'), name))
            .or_default()
            .push(row(d));
    }
    areas
        .into_iter()
        .map(|((_, name), rows)| Area { name, rows })
        .collect()
}

fn of_scope(catalog: &Catalog, scope: PermissionScope) -> impl Iterator<Item = &PermissionDef> {
    catalog.iter().filter(move |d| d.scope == scope)
}

/// The environment rows of a form for `grants`; `held(key, env)` says what the user holds.
pub(crate) fn env_areas(
    catalog: &Catalog,
    grants: &Grants,
    held: impl Fn(&str, Environment) -> bool,
) -> Vec<Area<PermRow>> {
    grouped(of_scope(catalog, PermissionScope::Environment), |d| {
        PermRow {
            key: d.key.to_string(),
            label: d.label.clone(),
            description: d.description.clone(),
            sensitive: d.sensitive,
            live: grants.live.contains(&d.key),
            sandbox: grants.sandbox.contains(&d.key),
            held_live: held(d.key.as_str(), Environment::Live),
            held_sandbox: held(d.key.as_str(), Environment::Sandbox),
        }
    })
}

/// The business rows of a form for `grants`.
pub(crate) fn business_rows(
    catalog: &Catalog,
    grants: &Grants,
    held: impl Fn(&str) -> bool,
) -> Vec<BizRow> {
    of_scope(catalog, PermissionScope::Business)
        .map(|d| BizRow {
            key: d.key.to_string(),
            label: d.label.clone(),
            description: d.description.clone(),
            sensitive: d.sensitive,
            checked: grants.business.contains(&d.key),
            held: held(d.key.as_str()),
        })
        .collect()
}

/// The grants a form's checkboxes (`live`, `sandbox`, `business`) ask for. Unknown keys
/// are kept: the service refuses them with its own error.
pub(crate) fn grants_from(fields: &Fields) -> Result<Grants, gatehouse_domain::Error> {
    let set = |name: &str| -> Result<_, gatehouse_domain::Error> {
        fields
            .all(name)
            .into_iter()
            .map(PermissionKey::parse)
            .collect()
    };
    Ok(Grants {
        business: set("business")?,
        live: set("live")?,
        sandbox: set("sandbox")?,
    })
}

/// A group's rights in brief: labels per environment and for administration.
#[derive(Debug, Clone, Default)]
pub(crate) struct Summary {
    pub(crate) live: Vec<String>,
    pub(crate) sandbox: Vec<String>,
    pub(crate) business: Vec<String>,
}

pub(crate) fn summary(catalog: &Catalog, grants: &Grants) -> Summary {
    let labels = |keys: &std::collections::BTreeSet<PermissionKey>| {
        keys.iter()
            .map(|k| super::context::label(catalog, k.as_str()))
            .collect()
    };
    Summary {
        live: labels(&grants.live),
        sandbox: labels(&grants.sandbox),
        business: labels(&grants.business),
    }
}

/// One cell of a user's effective matrix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Cell {
    pub(crate) granted: bool,
    /// The granting groups' names.
    pub(crate) by: String,
    /// Granted, but the MFA policy denies it until the user sets up a second factor.
    pub(crate) blocked: bool,
}

/// One permission across the matrix's tenant columns, Live then Sandbox for each.
#[derive(Debug, Clone)]
pub(crate) struct EffRow {
    pub(crate) label: String,
    pub(crate) description: String,
    pub(crate) sensitive: bool,
    pub(crate) cells: Vec<Cell>,
}

/// A column pair of the matrix: one tenant, or every tenant where the user's rights (and
/// the groups they come from) are exactly the same.
#[derive(Debug, Clone)]
pub(crate) struct TenantColumn {
    /// "United Kingdom", "United Kingdom and Germany", "United Kingdom, Germany and 41 more".
    pub(crate) label: String,
    /// Every tenant of the column, when there is more than one.
    pub(crate) names: Vec<String>,
}

/// A user's effective matrix, rendered from the engine's view.
#[derive(Debug, Clone, Default)]
pub(crate) struct Effective {
    pub(crate) tenants: Vec<TenantColumn>,
    pub(crate) areas: Vec<Area<EffRow>>,
    pub(crate) business: Vec<(String, String)>,
    pub(crate) any: bool,
    /// How many tenants the columns cover (after the filter), and the business has.
    pub(crate) shown: usize,
    pub(crate) total: usize,
}

fn cell(grants: &[Grant], key: &PermissionKey, blocked: bool) -> Cell {
    grants
        .iter()
        .find(|g| &g.permission == key)
        .map(|g| Cell {
            granted: true,
            blocked,
            by: g
                .groups
                .iter()
                .map(|r| r.name.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
        .unwrap_or_default()
}

/// "A", "A and B", "A, B and C", "A, B and 41 more".
pub(crate) fn names_label(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [a, b, c] => format!("{a}, {b} and {c}"),
        [a, b, rest @ ..] => format!("{a}, {b} and {} more", rest.len()),
    }
}

/// The effective matrix of `eff`, over the tenants whose name contains `filter` (any case),
/// tenants with identical rights merged into one column pair.
pub(crate) fn effective(
    catalog: &Catalog,
    eff: &EffectivePermissions,
    tenants: &[Tenant],
    filter: &str,
) -> Effective {
    let wanted = filter.trim().to_lowercase();
    let env_defs: Vec<&PermissionDef> = of_scope(catalog, PermissionScope::Environment).collect();
    // Per tenant: its name and its cells (every permission, Live then Sandbox).
    let mut columns: Vec<(Vec<Cell>, Vec<String>)> = Vec::new();
    for t in &eff.tenants {
        let name = tenants
            .iter()
            .find(|x| x.id == t.tenant_id)
            .map_or_else(|| "(unknown tenant)".to_owned(), |x| x.name.to_string());
        if !wanted.is_empty() && !name.to_lowercase().contains(&wanted) {
            continue;
        }
        let cells: Vec<Cell> = env_defs
            .iter()
            .flat_map(|d| {
                [
                    cell(&t.live, &d.key, eff.mfa_blocked.live),
                    cell(&t.sandbox, &d.key, eff.mfa_blocked.sandbox),
                ]
            })
            .collect();
        match columns.iter_mut().find(|(c, _)| *c == cells) {
            Some((_, names)) => names.push(name),
            None => columns.push((cells, vec![name])),
        }
    }
    let shown = columns.iter().map(|(_, n)| n.len()).sum();
    let index: BTreeMap<&str, usize> = env_defs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.key.as_str(), i))
        .collect();
    let areas = grouped(env_defs.iter().copied(), |d| {
        let i = index.get(d.key.as_str()).copied().unwrap_or_default();
        EffRow {
            label: d.label.clone(),
            description: d.description.clone(),
            sensitive: d.sensitive,
            cells: columns
                .iter()
                .flat_map(|(c, _)| [c[2 * i].clone(), c[2 * i + 1].clone()])
                .collect(),
        }
    });
    let business = eff
        .business
        .iter()
        .map(|g| {
            let c = cell(
                std::slice::from_ref(g),
                &g.permission,
                eff.mfa_blocked.business,
            );
            (super::context::label(catalog, g.permission.as_str()), c.by)
        })
        .collect();
    let any = !eff.business.is_empty()
        || eff
            .tenants
            .iter()
            .any(|t| !t.live.is_empty() || !t.sandbox.is_empty());
    Effective {
        tenants: columns
            .into_iter()
            .map(|(_, names)| TenantColumn {
                label: names_label(&names),
                names: if names.len() > 1 { names } else { Vec::new() },
            })
            .collect(),
        areas,
        business,
        any,
        shown,
        total: eff.tenants.len(),
    }
}
