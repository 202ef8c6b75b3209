//! Applications (OpenID Connect clients): the list, a client secret shown once (after
//! registering a confidential client or rotating its secret, with a copy button), rotating a
//! secret and deleting an application, each confirmed first. Requires `applications.manage`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_domain::Error;
use gatehouse_domain::application::{ApplicationView, ClientType};
use gatehouse_domain::ids::ApplicationId;
use gatehouse_domain::principal::{ApplicationsManage, BusinessAccess};

use super::context::{Answer, Chrome, Dash, DashForm, describe, notice_text, page, page_with};
use super::fields::Params;
use super::user_actions::ConfirmPage;
use crate::browser::Browser;
use crate::state::AppState;

#[derive(Debug)]
struct AppRow {
    id: String,
    name: String,
    kind: &'static str,
    party: &'static str,
    grant_types: String,
    redirect_uris: Vec<String>,
    require_mfa: bool,
}

#[derive(Template)]
#[template(path = "dashboard/applications.html")]
struct ApplicationsPage {
    c: Chrome,
    rows: Vec<AppRow>,
}

/// A client secret, shown this once.
#[derive(Template)]
#[template(path = "dashboard/application_secret.html")]
struct SecretPage {
    c: Chrome,
    name: String,
    client_id: String,
    secret: String,
}

fn row(a: &ApplicationView) -> AppRow {
    AppRow {
        id: a.id.to_string(),
        name: a.name.to_string(),
        kind: match a.client_type {
            ClientType::Confidential => "Confidential",
            ClientType::Public => "Public",
        },
        party: if a.first_party {
            "First-party"
        } else {
            "Third-party"
        },
        grant_types: a
            .grant_types
            .iter()
            .map(|g| g.as_str().replace('_', " "))
            .collect::<Vec<_>>()
            .join(", "),
        redirect_uris: a.redirect_uris.iter().map(ToString::to_string).collect(),
        require_mfa: a.require_mfa,
    }
}

/// The applications page. Requires `applications.manage`.
pub(crate) async fn applications_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Answer {
    let (d, access) = Dash::with::<ApplicationsManage>(&s, browser, &slug).await?;
    let apps = s
        .gatehouse
        .list_applications(&access)
        .await
        .map_err(|e| d.fail(e, "applications"))?;
    let mut c = d.chrome("Applications", "applications");
    c.notice = notice_text(q.get("notice")).map(str::to_owned);
    Ok(page(&ApplicationsPage {
        c,
        rows: apps.iter().map(row).collect(),
    }))
}

/// The page that shows a new client secret, this once.
pub(crate) fn secret_page(
    d: &Dash,
    app: &ApplicationView,
    secret: String,
    title: &str,
) -> Response {
    page(&SecretPage {
        c: d.chrome(title, "applications"),
        name: app.name.to_string(),
        client_id: app.client_id.clone(),
        secret,
    })
}

/// The application `id` of the address, or the "not found" page.
pub(crate) async fn application_of(
    d: &Dash,
    access: &BusinessAccess<ApplicationsManage>,
    id: &str,
) -> Answer<ApplicationView> {
    let id: ApplicationId = id
        .parse()
        .map_err(|_| d.fail(Error::ApplicationNotFound, "applications"))?;
    d.state
        .gatehouse
        .get_application(access, id)
        .await
        .map_err(|e| d.fail(e, "applications"))
}

/// What each confirmed action asks and does.
#[derive(Debug, Clone, Copy)]
enum Action {
    Rotate,
    Delete,
}

fn confirm(
    d: &Dash,
    a: &ApplicationView,
    action: Action,
    error: Option<(StatusCode, String)>,
) -> Response {
    let (question, consequence, path, button, danger) = match action {
        Action::Rotate => (
            format!("Rotate the secret of {}?", a.name),
            format!(
                "{} gets a new client secret, shown once on the next page. The current secret stops working at once: put the new one in the application's configuration right away.",
                a.name
            ),
            "secret",
            "Rotate secret".to_owned(),
            false,
        ),
        Action::Delete => (
            format!("Delete {}?", a.name),
            format!(
                "Nobody can sign in to {} through Gatehouse any more, and its service rights end at once. This cannot be undone.",
                a.name
            ),
            "delete",
            format!("Delete {}", a.name),
            true,
        ),
    };
    let mut c = d.chrome(&question, "applications");
    let status = error.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    c.error = error.map(|(_, t)| t);
    page_with(
        status,
        &ConfirmPage {
            c,
            question,
            consequence,
            action: d.admin(&format!("/applications/{}/{path}", a.id)),
            button,
            danger,
            cancel: d.admin("/applications"),
            warn_self: None,
        },
    )
}

fn action_of(name: &str) -> Option<Action> {
    match name {
        "secret" => Some(Action::Rotate),
        "delete" => Some(Action::Delete),
        _ => None,
    }
}

/// The confirmation of rotating a secret or deleting an application. Requires
/// `applications.manage`.
pub(crate) async fn confirm_page(
    State(s): State<AppState>,
    browser: Browser,
    Path((slug, id, action)): Path<(String, String, String)>,
) -> Answer {
    let (d, access) = Dash::with::<ApplicationsManage>(&s, browser, &slug).await?;
    let action = action_of(&action).ok_or_else(|| d.not_found_page())?;
    let a = application_of(&d, &access, &id).await?;
    Ok(confirm(&d, &a, action, None))
}

/// Rotates a secret (and shows the new one) or deletes an application. Requires
/// `applications.manage`.
pub(crate) async fn perform(
    State(s): State<AppState>,
    Path((_, id, action)): Path<(String, String, String)>,
    DashForm(d, access, _form): DashForm<ApplicationsManage>,
) -> Answer {
    let action = action_of(&action).ok_or_else(|| d.not_found_page())?;
    let a = application_of(&d, &access, &id).await?;
    let ctx = &d.browser.ctx;
    match action {
        Action::Rotate => match s
            .gatehouse
            .rotate_application_secret(&access, ctx, a.id)
            .await
        {
            Ok((app, secret)) => {
                let title = format!("New secret for {}", app.name);
                Ok(secret_page(&d, &app, secret, &title))
            }
            Err(e) => Ok(confirm(&d, &a, action, Some(describe(d.catalog(), e)))),
        },
        Action::Delete => match s.gatehouse.delete_application(&access, ctx, a.id).await {
            Ok(()) => Ok(d.done(&d.admin("/applications"), "application_deleted")),
            Err(e) => Ok(confirm(&d, &a, action, Some(describe(d.catalog(), e)))),
        },
    }
}
