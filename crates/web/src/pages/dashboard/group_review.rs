//! The group editor's review step: what the change does to people's access, the sensitive
//! rights it grants (and whether a Business group grants them in every tenant), a name that
//! says nothing, and a warning when it takes away the signed-in user's own rights.

use askama::Template;
use axum::http::StatusCode;
use gatehouse_domain::authz::preview::AccessEffect;
use gatehouse_domain::model::Group;

use super::context::{Chrome, Dash, page_with, right};
use super::group_form::{EffectLine, GroupForm, effect_lines};

type Failure = Option<(StatusCode, String)>;

#[derive(Template)]
#[template(path = "dashboard/group_review.html")]
pub(crate) struct ReviewPage {
    c: Chrome,
    action: String,
    name: String,
    is_new: bool,
    hidden: Vec<(String, String)>,
    users_affected: usize,
    gained: Vec<EffectLine>,
    lost: Vec<EffectLine>,
    sensitive: Vec<String>,
    warn_self: Option<String>,
    vague_name: bool,
    business_wide: bool,
}

fn hidden_fields(form: &GroupForm) -> Vec<(String, String)> {
    let mut out = vec![
        ("name".to_owned(), form.name.clone()),
        ("description".to_owned(), form.description.clone()),
        ("kind".to_owned(), form.kind.as_str().to_owned()),
    ];
    if let Some(v) = form.version {
        out.push(("version".to_owned(), v.to_string()));
    }
    out.extend(
        form.tenants
            .iter()
            .map(|t| ("tenant".to_owned(), t.clone())),
    );
    for (scope, keys) in [
        ("business", &form.grants.business),
        ("live", &form.grants.live),
        ("sandbox", &form.grants.sandbox),
    ] {
        out.extend(keys.iter().map(|k| (scope.to_owned(), k.to_string())));
    }
    out
}

/// What the review shows and asks: the change's effect, its sensitive grants, and the
/// warning when it takes away the signed-in user's own rights.
pub(crate) struct Findings<'a> {
    pub(crate) effect: &'a AccessEffect,
    pub(crate) sensitive: &'a [gatehouse_domain::grants::ScopedPermission],
    pub(crate) warn_self: Option<String>,
    /// The name says nothing about the group ("Group 1"): asked once before saving.
    pub(crate) vague_name: bool,
    /// A Business group (every tenant, later ones too) that grants sensitive rights.
    pub(crate) business_wide: bool,
}

impl Findings<'_> {
    /// Whether anything needs a look before saving.
    pub(crate) fn any(&self) -> bool {
        !(self.effect.is_empty()
            && self.sensitive.is_empty()
            && self.warn_self.is_none()
            && !self.vague_name)
    }
}

pub(crate) fn review(
    d: &Dash,
    before: Option<&Group>,
    form: &GroupForm,
    found: &Findings<'_>,
    error: Failure,
) -> axum::response::Response {
    let (effect, sensitive) = (found.effect, found.sensitive);
    let mut c = d.chrome("Review the change", "groups");
    let status = error.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    c.error = error.map(|(_, t)| t);
    let (gained, lost) = effect_lines(d, effect);
    page_with(
        status,
        &ReviewPage {
            action: before.map_or_else(
                || d.admin("/groups/new"),
                |g| d.admin(&format!("/groups/{}", g.id)),
            ),
            name: form.name.clone(),
            is_new: before.is_none(),
            hidden: hidden_fields(form),
            users_affected: effect.users_affected,
            gained,
            lost,
            sensitive: sensitive.iter().map(|k| right(d.catalog(), k)).collect(),
            warn_self: found.warn_self.clone(),
            vague_name: found.vague_name,
            business_wide: found.business_wide,
            c,
        },
    )
}

/// Whether a group name says nothing about the group: "Group 1", "New group", "Test", "ab".
pub(crate) fn vague(name: &str) -> bool {
    let n = name.trim().to_lowercase();
    let stem = n.trim_end_matches(|c: char| c.is_ascii_digit() || " #-_.".contains(c));
    n.chars().count() < 3
        || matches!(
            stem,
            "" | "group"
                | "new group"
                | "my group"
                | "test"
                | "test group"
                | "team"
                | "untitled"
                | "group name"
                | "copy"
                | "copy of group"
                | "temp"
        )
}

#[cfg(test)]
mod tests {
    use super::vague;

    #[test]
    fn vague_names() {
        for v in [
            "Group 1",
            "group",
            "New group 2",
            "Test",
            "ab",
            "Team #3",
            "untitled",
        ] {
            assert!(vague(v), "{v}");
        }
        for ok in [
            "UK Analysts",
            "Sandbox reviewers",
            "Group managers",
            "Support team",
        ] {
            assert!(!vague(ok), "{ok}");
        }
    }
}
