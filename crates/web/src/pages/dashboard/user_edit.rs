//! Editing a user's name and groups. Each group shows what it grants; a change of groups is
//! reviewed first — what the user gains and loses, by tenant and environment — and taking
//! away one's own administration rights needs the "I understand" tick too.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_domain::model::{Group, User};
use gatehouse_domain::principal::{UsersManage, UsersView};
use gatehouse_domain::services::{Precondition, UserPatch};
use gatehouse_domain::types::DisplayName;

use super::super::problems::Problems;
use super::context::{Answer, Chrome, Dash, DashForm, describe, page_with};
use super::fields::Fields;
use super::group_choice::{AccessChange, GroupChoice, change, choices, fingerprint, reviewed};
use super::self_loss::{self, After};
use super::user_actions::{user_of, who};
use super::users::tenants_of;
use crate::browser::Browser;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "dashboard/user_edit.html")]
struct EditPage {
    c: Chrome,
    id: String,
    email: String,
    name: String,
    version: i64,
    groups: Vec<GroupChoice>,
    warn_self: Option<String>,
    who: String,
    review: Option<AccessChange>,
    reviewed: String,
}

/// What the page shows besides the form: an error, problems, a review, a warning.
#[derive(Default)]
struct Shown {
    error: Option<(StatusCode, String)>,
    problems: Problems,
    review: Option<AccessChange>,
    warn_self: Option<String>,
}

async fn all_groups(d: &Dash) -> Answer<Vec<Group>> {
    let view = d
        .principal
        .authorize::<UsersView>()
        .map_err(|e| d.fail(e, "users"))?;
    d.state
        .gatehouse
        .list_groups(&view)
        .await
        .map_err(|e| d.fail(e, "users"))
}

async fn render_edit(d: &Dash, u: &User, form: Option<&Fields>, shown: Shown) -> Answer {
    let groups = all_groups(d).await?;
    let tenants = tenants_of(d).await?;
    let current: Vec<String> = u.groups.iter().map(|g| g.id.to_string()).collect();
    let chosen: Vec<&str> = match form {
        Some(f) => f.all("group"),
        None => current.iter().map(String::as_str).collect(),
    };
    let mut c = d.chrome(&format!("Edit {}", who(u)), "users");
    let status = match &shown.error {
        Some((s, _)) => *s,
        None if !shown.problems.is_empty() => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    c.error = shown.error.map(|(_, t)| t);
    c.problems = shown.problems;
    Ok(page_with(
        status,
        &EditPage {
            c,
            id: u.id.to_string(),
            email: u.email.to_string(),
            name: form.map_or_else(|| u.display_name.to_string(), |f| f.get("name").to_owned()),
            version: u.version,
            groups: choices(d.catalog(), &tenants, &groups, &chosen),
            warn_self: shown.warn_self,
            who: who(u),
            reviewed: form.map(fingerprint).unwrap_or_default(),
            review: shown.review,
        },
    ))
}

/// The form to edit a user's name and groups. Requires `users.manage`.
pub(crate) async fn edit_page(
    State(s): State<AppState>,
    browser: Browser,
    Path((slug, id)): Path<(String, String)>,
) -> Answer {
    let (d, _access) = Dash::with::<UsersManage>(&s, browser, &slug).await?;
    let u = user_of(&d, &id).await?;
    render_edit(&d, &u, None, Shown::default()).await
}

/// Saves a user's name and groups (after the review of a change of groups). Requires
/// `users.manage` (and the rights of any group the user joins).
pub(crate) async fn edit_user(
    State(s): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    DashForm(d, access, form): DashForm<UsersManage>,
) -> Answer {
    let u = user_of(&d, &id).await?;
    let mut problems = Problems::default();
    let Some(name) = problems.check("name", "Name", DisplayName::parse(form.get("name"))) else {
        let shown = Shown {
            problems,
            ..Shown::default()
        };
        return render_edit(&d, &u, Some(&form), shown).await;
    };
    let kept = form.all("group");
    let groups = all_groups(&d).await?;
    let tenants = tenants_of(&d).await?;
    let before: Vec<&Group> = groups
        .iter()
        .filter(|g| u.groups.iter().any(|m| m.id == g.id))
        .collect();
    let after: Vec<&Group> = groups
        .iter()
        .filter(|g| kept.contains(&g.id.to_string().as_str()))
        .collect();
    let effect = change(d.catalog(), &tenants, &before, &after);
    let warn_self = if u.id == d.me.id {
        self_loss::warning(&d, |g| {
            if kept.contains(&g.id.to_string().as_str()) {
                After::Same
            } else {
                After::Leave
            }
        })
        .await
    } else {
        None
    };
    let groups_changed =
        before.len() != after.len() || before.iter().any(|b| !after.iter().any(|a| a.id == b.id));
    let needs_review = groups_changed && !reviewed(&form);
    let needs_tick = warn_self.is_some() && !self_loss::confirmed(&form);
    if needs_review || needs_tick {
        let shown = Shown {
            review: groups_changed.then_some(effect),
            warn_self,
            ..Shown::default()
        };
        return render_edit(&d, &u, Some(&form), shown).await;
    }
    let patch = UserPatch {
        display_name: Some(name),
        groups: Some(kept.into_iter().filter_map(|g| g.parse().ok()).collect()),
    };
    let pre = Precondition {
        if_match: None,
        version: form.get("version").parse().ok(),
    };
    match s
        .gatehouse
        .update_user(&access, &d.browser.ctx, u.id, patch, pre)
        .await
    {
        Ok(_) => Ok(d.done(&d.admin(&format!("/users/{}", u.id)), "user_saved")),
        Err(e) => {
            let shown = Shown {
                error: Some(describe(d.catalog(), e)),
                ..Shown::default()
            };
            render_edit(&d, &u, Some(&form), shown).await
        }
    }
}
