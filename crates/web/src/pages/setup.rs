//! The first-start setup page, reached from the link `gatehouse serve` prints on an empty
//! database.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gatehouse_domain::Error;
use gatehouse_domain::auth::model::TokenState;
use gatehouse_domain::services::SetupForm;
use serde::Deserialize;

use super::links::dead_link;
use super::problems::Problems;
use super::{Page, PageForm, PageMeta, csrf_refused, explain, internal, redirect};
use crate::browser::{Browser, session_cookie};
use crate::state::AppState;
use gatehouse_domain::types::{BusinessName, DisplayName, Email, Slug, TenantName};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SetupFields {
    csrf: String,
    business_name: String,
    business_slug: String,
    tenant_name: String,
    tenant_slug: String,
    email: String,
    display_name: String,
    password: String,
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    p: PageMeta,
    f: SetupFields,
    min_chars: usize,
    action: String,
}

fn page(s: &AppState, token: &str, p: PageMeta, f: SetupFields) -> SetupPage {
    SetupPage {
        p,
        f,
        min_chars: s.gatehouse.auth_config().password.min_chars,
        action: format!("/setup/{token}"),
    }
}

/// Every problem of the form at once, each under the name its field has on the page.
fn check(s: &AppState, f: &SetupFields) -> Problems {
    let mut p = Problems::default();
    let business = p.check(
        "business_name",
        "Business name",
        BusinessName::parse(&f.business_name),
    );
    p.check(
        "business_slug",
        "Business short name",
        Slug::parse(&f.business_slug),
    );
    p.check(
        "tenant_name",
        "Tenant name",
        TenantName::parse(&f.tenant_name),
    );
    p.check(
        "tenant_slug",
        "Tenant short name",
        Slug::parse(&f.tenant_slug),
    );
    let email = p.check("email", "Email", Email::parse(&f.email));
    p.check(
        "display_name",
        "Your name",
        DisplayName::parse(&f.display_name),
    );
    let policy = s.gatehouse.auth_config().password;
    let local = email.as_ref().map_or("", |e| e.local_part());
    let business = business.as_ref().map_or("", |b| b.as_str());
    p.check(
        "password",
        "Password",
        policy.check(&f.password, local, business),
    );
    p
}

pub(crate) async fn setup_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(token): Path<String>,
) -> Response {
    match s.gatehouse.setup_state(&token).await {
        Ok(TokenState::Usable) => {}
        Ok(state) => return dead_link("", state, "setup"),
        Err(e) => return internal(e),
    }
    let (csrf, cookie) = browser.csrf_for_form(&s);
    let mut p = PageMeta::new("Set up Gatehouse", "", None, csrf);
    p.base = String::new();
    Page::ok(&page(&s, &token, p, SetupFields::default()))
        .cookie(cookie)
        .into_response()
}

pub(crate) async fn setup(
    State(s): State<AppState>,
    browser: Browser,
    Path(token): Path<String>,
    PageForm(mut f): PageForm<SetupFields>,
) -> Response {
    if !browser.csrf_ok(&f.csrf) {
        return csrf_refused("");
    }
    let problems = check(&s, &f);
    if !problems.is_empty() {
        let mut p = PageMeta::new("Set up Gatehouse", "", None, f.csrf.clone());
        p.problems = problems;
        return Page::with_status(StatusCode::UNPROCESSABLE_ENTITY, &page(&s, &token, p, f))
            .into_response();
    }
    let form = SetupForm {
        business_name: f.business_name.clone(),
        business_slug: f.business_slug.clone(),
        tenant_name: f.tenant_name.clone(),
        tenant_slug: f.tenant_slug.clone(),
        email: f.email.clone(),
        display_name: f.display_name.clone(),
        password: std::mem::take(&mut f.password),
    };
    match s.gatehouse.complete_setup(&browser.ctx, &token, form).await {
        Ok(opened) => redirect(
            &super::next::after(&s, f.business_slug.trim(), &opened.session, None).await,
            &[session_cookie(&s, &opened.token)],
        ),
        Err(Error::LinkUnusable(_) | Error::AlreadySetUp) => {
            dead_link("", TokenState::Used, "setup")
        }
        Err(e) => {
            let mut p = PageMeta::new("Set up Gatehouse", "", None, f.csrf.clone());
            let status = match e {
                Error::BusinessSlugTaken => {
                    p.problems.add(
                        "business_slug",
                        "Business short name is taken: choose another.",
                    );
                    StatusCode::CONFLICT
                }
                e => {
                    let (status, text, _) = explain(e);
                    p.error = Some(text);
                    status
                }
            };
            let status = if status.is_server_error() {
                status
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            Page::with_status(status, &page(&s, &token, p, f)).into_response()
        }
    }
}
