//! Inviting a user: the form (each group with what it grants), the review of what the
//! person will get, and the invitation itself.

use super::super::problems::{FieldMap, Problems};
use super::context::{Answer, Chrome, Dash, DashForm, describe, page_with};
use super::fields::Fields;
use super::group_choice::{AccessChange, GroupChoice, change, choices, fingerprint, reviewed};
use super::users::tenants_of;
use crate::browser::Browser;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_domain::principal::{UsersManage, UsersView};
use gatehouse_domain::services::NewUser;
use gatehouse_domain::types::{DisplayName, Email};

#[derive(Template)]
#[template(path = "dashboard/invite.html")]
struct InvitePage {
    c: Chrome,
    email: String,
    name: String,
    groups: Vec<GroupChoice>,
    who: String,
    review: Option<AccessChange>,
    reviewed: String,
}

async fn render_invite(
    d: &Dash,
    form: &Fields,
    problems: Problems,
    error: Failure,
    review: Option<AccessChange>,
) -> Answer {
    let gh = &d.state.gatehouse;
    let view = d
        .principal
        .authorize::<UsersView>()
        .map_err(|e| d.fail(e, "users"))?;
    let groups = gh
        .list_groups(&view)
        .await
        .map_err(|e| d.fail(e, "users"))?;
    let chosen = form.all("group");
    let tenants = tenants_of(d).await?;
    let mut c = d.chrome("Add a new user", "users");
    let status = error.as_ref().map_or(
        if problems.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        |(s, _)| *s,
    );
    c.error = error.map(|(_, t)| t);
    c.problems = problems;
    Ok(page_with(
        status,
        &InvitePage {
            c,
            email: form.get("email").to_owned(),
            name: form.get("name").to_owned(),
            groups: choices(d.catalog(), &tenants, &groups, &chosen),
            who: Some(form.get("name"))
                .filter(|n| !n.is_empty())
                .unwrap_or(form.get("email"))
                .to_owned(),
            review,
            reviewed: fingerprint(form),
        },
    ))
}

type Failure = Option<(StatusCode, String)>;

/// The invitation form's fields, by the domain's names.
const INVITE_FIELDS: FieldMap<'static> = &[("email", "email", "Email"), ("name", "name", "Name")];

/// The invitation form. Requires `users.manage`.
pub(crate) async fn invite_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
) -> Answer {
    let (d, _access) = Dash::with::<UsersManage>(&s, browser, &slug).await?;
    render_invite(&d, &Fields::default(), Problems::default(), None, None).await
}

/// Creates a pending user in the chosen groups and mails the invitation. Requires
/// `users.manage` (and, for each group, its rights: no escalation).
pub(crate) async fn invite_user(
    State(s): State<AppState>,
    DashForm(d, access, form): DashForm<UsersManage>,
) -> Answer {
    let mut problems = Problems::default();
    let email = problems.check("email", "Email", Email::parse(form.get("email")));
    let name = problems.check("name", "Name", DisplayName::parse(form.get("name")));
    let (Some(email), Some(display_name)) = (email, name) else {
        return render_invite(&d, &form, problems, None, None).await;
    };
    let chosen = form.all("group");
    if !chosen.is_empty() && !reviewed(&form) {
        let view = d
            .principal
            .authorize::<UsersView>()
            .map_err(|e| d.fail(e, "users"))?;
        let groups = s
            .gatehouse
            .list_groups(&view)
            .await
            .map_err(|e| d.fail(e, "users"))?;
        let tenants = tenants_of(&d).await?;
        let joining: Vec<_> = groups
            .iter()
            .filter(|g| chosen.contains(&g.id.to_string().as_str()))
            .collect();
        let review = change(d.catalog(), &tenants, &[], &joining);
        return render_invite(&d, &form, problems, None, Some(review)).await;
    }
    let new = NewUser {
        email,
        display_name,
        groups: form
            .all("group")
            .into_iter()
            .filter_map(|g| g.parse().ok())
            .collect(),
    };
    match s.gatehouse.create_user(&access, &d.browser.ctx, new).await {
        Ok(_) => Ok(d.done(&d.admin("/users"), "invited")),
        Err(e) => {
            let error = problems
                .take(e, INVITE_FIELDS)
                .map(|e| describe(d.catalog(), e));
            render_invite(&d, &form, problems, error, None).await
        }
    }
}
