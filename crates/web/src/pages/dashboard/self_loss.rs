//! A warning before people take away their own access: leaving a group, changing or deleting
//! a group they are in, editing their own groups, or deactivating or resetting their own
//! account. The change is shown with what they would lose and is saved only with a tick in
//! "I understand" (`confirm_self`); without it nothing changes.

use std::collections::BTreeSet;

use gatehouse_domain::catalog::PermissionKey;
use gatehouse_domain::grants::Grants;
use gatehouse_domain::model::{Group, GroupScope};
use gatehouse_domain::principal::UsersView;

use super::context::{Dash, label};
use super::fields::Fields;

/// What a change does to one of the signed-in user's groups.
pub(crate) enum After<'a> {
    Same,
    Leave,
    Becomes(&'a GroupScope, &'a Grants),
}

/// Administration rights come only from Business groups.
fn admin_rights<'a>(
    groups: impl Iterator<Item = (&'a GroupScope, &'a Grants)>,
) -> BTreeSet<PermissionKey> {
    groups
        .filter(|(scope, _)| matches!(scope, GroupScope::Business))
        .flat_map(|(_, g)| g.business.iter().cloned())
        .collect()
}

/// The warning for a change to the signed-in user's groups, naming the administration
/// rights they would lose; `None` when they lose none (or may not read groups).
pub(crate) async fn warning<'c>(d: &Dash, change: impl Fn(&Group) -> After<'c>) -> Option<String> {
    let view = d.principal.authorize::<UsersView>().ok()?;
    let groups = d.state.gatehouse.list_groups(&view).await.ok()?;
    let mine: Vec<&Group> = groups
        .iter()
        .filter(|g| d.me.groups.iter().any(|m| m.id == g.id))
        .collect();
    let before = admin_rights(mine.iter().map(|g| (&g.scope, &g.grants)));
    let changes: Vec<After<'c>> = mine.iter().map(|g| change(g)).collect();
    let after = admin_rights(mine.iter().zip(&changes).filter_map(|(g, c)| match c {
        After::Same => Some((&g.scope, &g.grants)),
        After::Leave => None,
        After::Becomes(scope, grants) => Some((*scope, *grants)),
    }));
    let lost: Vec<String> = before
        .difference(&after)
        .map(|k| label(d.catalog(), k.as_str()))
        .collect();
    (!lost.is_empty()).then(|| {
        format!(
            "This takes away your own administration rights: {}. You cannot give them back to yourself; another administrator would have to.",
            lost.join(", ")
        )
    })
}

/// Whether the form carries the "I understand" tick a warning asks for.
pub(crate) fn confirmed(form: &Fields) -> bool {
    form.get("confirm_self") == "yes"
}
