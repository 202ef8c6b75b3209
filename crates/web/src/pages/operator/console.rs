//! The operator console's start: signing in and out, the businesses and creating one.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use gatehouse_domain::types::{BusinessName, Slug};

use super::super::dashboard::{Fields, Params, encode};
use super::super::problems::{FieldMap, Problems};
use super::super::{CheckedForm, Page, PageMeta, explain, redirect};
use super::{Console, ConsoleForm, sign_in_cookie, sign_out_cookie};
use crate::browser::Browser;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "operator/sign_in.html")]
struct SignInPage {
    p: PageMeta,
}

#[derive(Template)]
#[template(path = "operator/businesses.html")]
struct BusinessesPage {
    p: PageMeta,
    rows: Vec<gatehouse_domain::model::Business>,
    next: Option<String>,
    f: Fields,
}

pub(super) fn meta(title: &str, csrf: String) -> PageMeta {
    let mut p = PageMeta::new(title, "", None, csrf);
    p.base = String::new();
    p
}

/// A failed form's page: its problems beside their fields, anything else at the top; the
/// page's status.
pub(super) fn failed(
    p: &mut PageMeta,
    problems: Problems,
    error: Option<gatehouse_domain::Error>,
) -> StatusCode {
    let error = error.map(|e| {
        let (status, text, _) = explain(e);
        (status, text)
    });
    let status = problems.status(error.as_ref().map(|(s, _)| *s));
    p.error = error.map(|(_, t)| t);
    p.problems = problems;
    status
}

/// `GET /operator`: the businesses, or the sign-in form.
pub(crate) async fn home(
    State(s): State<AppState>,
    headers: HeaderMap,
    browser: Browser,
    q: Params,
) -> Response {
    match super::console_of(&s, &headers) {
        Some(c) => {
            let p = meta("Businesses", c.csrf.clone());
            businesses(
                &s,
                &c,
                q.get("cursor"),
                &Fields::default(),
                p,
                StatusCode::OK,
            )
            .await
        }
        None => {
            let (csrf, cookie) = browser.csrf_for_form(&s);
            Page::ok(&SignInPage {
                p: meta("Operator console", csrf),
            })
            .cookie(cookie)
            .into_response()
        }
    }
}

async fn businesses(
    s: &AppState,
    c: &Console,
    cursor: &str,
    f: &Fields,
    p: PageMeta,
    status: StatusCode,
) -> Response {
    let cursor = Some(cursor).filter(|c| !c.is_empty());
    let listed = match s.gatehouse.list_businesses(&c.op, cursor, 100).await {
        Ok(l) => l,
        Err(e) => return super::super::internal(e),
    };
    Page::with_status(
        status,
        &BusinessesPage {
            p,
            next: listed
                .next_cursor
                .map(|n| format!("/operator?cursor={}", encode(&n))),
            rows: listed.items,
            f: f.clone(),
        },
    )
    .into_response()
}

/// `POST /operator/sign-in`: the operator token, checked against its stored hash.
pub(crate) async fn sign_in(
    State(s): State<AppState>,
    CheckedForm(browser, form): CheckedForm<Fields>,
) -> Response {
    if s.operator.matches(form.get("token")) {
        return redirect("/operator", &[sign_in_cookie(&s)]);
    }
    let (csrf, _) = browser.csrf_for_form(&s);
    let mut p = meta("Operator console", csrf);
    p.problems.add(
        "token",
        if form.get("token").is_empty() {
            "Enter the operator token."
        } else {
            "That is not the operator token."
        },
    );
    Page::with_status(StatusCode::UNAUTHORIZED, &SignInPage { p }).into_response()
}

pub(crate) async fn sign_out(State(s): State<AppState>, _form: ConsoleForm) -> Response {
    redirect("/operator", &[sign_out_cookie(&s)])
}

pub(crate) async fn create_business(
    State(s): State<AppState>,
    super::super::forms::ScopedForm(browser, c, form): ConsoleForm,
) -> Response {
    let mut problems = Problems::default();
    let name = problems.check("name", "Name", BusinessName::parse(form.get("name")));
    let slug = problems.check("slug", "Short name", Slug::parse(form.get("slug")));
    let mut error = None;
    if let (Some(name), Some(slug)) = (name, slug) {
        match s
            .gatehouse
            .create_business(&c.op, &browser.ctx, name, slug)
            .await
        {
            Ok(b) => return redirect(&format!("/operator/businesses/{}", b.id), &[]),
            Err(e) => {
                let fields: FieldMap<'_> =
                    &[("name", "name", "Name"), ("slug", "slug", "Short name")];
                error = problems.take(e, fields);
            }
        }
    }
    let mut p = meta("Businesses", c.csrf.clone());
    let status = failed(&mut p, problems, error);
    businesses(&s, &c, "", &form, p, status).await
}
