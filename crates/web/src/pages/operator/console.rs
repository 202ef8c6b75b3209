//! The operator console's pages and forms.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use gatehouse_domain::Error;
use gatehouse_domain::ids::{BusinessId, TenantId};
use gatehouse_domain::model::{Business, Tenant};
use gatehouse_domain::principal::{GroupsManage, UsersManage, UsersView};
use gatehouse_domain::services::{NewGroup, NewUser};
use gatehouse_domain::types::{
    BusinessName, Description, DisplayName, Email, GroupName, Slug, TenantName,
};

use super::super::dashboard::{Fields, Params, encode};
use super::super::{Page, PageMeta, explain, redirect};
use super::{Console, posted, sign_in_cookie, sign_out_cookie, signed_in};
use crate::browser::Browser;
use crate::state::AppState;

/// The group a business's first administrators join (made with every right when missing).
const ADMINISTRATORS: &str = "Administrators";

#[derive(Template)]
#[template(path = "operator/sign_in.html")]
struct SignInPage {
    p: PageMeta,
}

#[derive(Template)]
#[template(path = "operator/businesses.html")]
struct BusinessesPage {
    p: PageMeta,
    rows: Vec<Business>,
    next: Option<String>,
    f: Fields,
}

#[derive(Template)]
#[template(path = "operator/business.html")]
struct BusinessPage {
    p: PageMeta,
    b: Business,
    tenants: Vec<Tenant>,
    f: Fields,
}

fn meta(title: &str, csrf: String) -> PageMeta {
    let mut p = PageMeta::new(title, "", None, csrf);
    p.base = String::new();
    p
}

type Failure = Option<(StatusCode, String)>;

fn failure(e: Error) -> Failure {
    let (status, text, _) = explain(e);
    Some((status, text))
}

/// `GET /operator`: the businesses, or the sign-in form.
pub(crate) async fn home(
    State(s): State<AppState>,
    headers: HeaderMap,
    browser: Browser,
    q: Params,
) -> Response {
    match super::console_of(&s, &headers) {
        Some(c) => businesses(&s, &c, q.get("cursor"), &Fields::default(), None).await,
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
    error: Failure,
) -> Response {
    let cursor = Some(cursor).filter(|c| !c.is_empty());
    let listed = match s.gatehouse.list_businesses(&c.op, cursor, 100).await {
        Ok(l) => l,
        Err(e) => return super::super::internal(e),
    };
    let mut p = meta("Businesses", c.csrf.clone());
    let status = error.as_ref().map_or(StatusCode::OK, |(st, _)| *st);
    p.error = error.map(|(_, t)| t);
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
pub(crate) async fn sign_in(State(s): State<AppState>, browser: Browser, form: Fields) -> Response {
    if !browser.csrf_ok(form.csrf()) {
        return super::super::csrf_refused("");
    }
    if s.operator.matches(form.get("token")) {
        return redirect("/operator", &[sign_in_cookie(&s)]);
    }
    let (csrf, _) = browser.csrf_for_form(&s);
    let mut p = meta("Operator console", csrf);
    p.error = Some("That is not the operator token.".to_owned());
    Page::with_status(StatusCode::UNAUTHORIZED, &SignInPage { p }).into_response()
}

pub(crate) async fn sign_out(
    State(s): State<AppState>,
    headers: HeaderMap,
    browser: Browser,
    form: Fields,
) -> Response {
    if let Err(answer) = posted(&s, &headers, &browser, form.csrf()).await {
        return answer;
    }
    redirect("/operator", &[sign_out_cookie(&s)])
}

pub(crate) async fn create_business(
    State(s): State<AppState>,
    headers: HeaderMap,
    browser: Browser,
    form: Fields,
) -> Response {
    let c = match posted(&s, &headers, &browser, form.csrf()).await {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    let parsed = BusinessName::parse(form.get("name"))
        .and_then(|name| Ok((name, Slug::parse(form.get("slug"))?)));
    let made = match parsed {
        Ok((name, slug)) => {
            s.gatehouse
                .create_business(&c.op, &browser.ctx, name, slug)
                .await
        }
        Err(e) => Err(e),
    };
    match made {
        Ok(b) => redirect(&format!("/operator/businesses/{}", b.id), &[]),
        Err(e) => businesses(&s, &c, "", &form, failure(e)).await,
    }
}

async fn business(
    s: &AppState,
    c: &Console,
    id: BusinessId,
    f: &Fields,
    error: Failure,
) -> Response {
    let found = match (
        s.gatehouse.get_business(&c.op, id).await,
        s.gatehouse.list_business_tenants(&c.op, id).await,
    ) {
        (Ok(b), Ok(t)) => (b, t),
        (Err(e), _) | (_, Err(e)) => {
            let (status, text, _) = explain(e);
            let mut p = meta("Not found", c.csrf.clone());
            p.error = Some(text);
            return super::super::message(
                status,
                p,
                "",
                Some(("/operator".to_owned(), "All businesses")),
            )
            .into_response();
        }
    };
    let (b, tenants) = found;
    let mut p = meta(b.name.as_str(), c.csrf.clone());
    let status = error.as_ref().map_or(StatusCode::OK, |(st, _)| *st);
    p.error = error.map(|(_, t)| t);
    p.notice = match f.get("notice") {
        "invited" => Some("Invitation sent.".to_owned()),
        "tenant_created" => Some("Tenant added.".to_owned()),
        "tenant_renamed" => Some("Tenant renamed.".to_owned()),
        _ => None,
    };
    Page::with_status(
        status,
        &BusinessPage {
            p,
            b,
            tenants,
            f: f.clone(),
        },
    )
    .into_response()
}

fn business_id(raw: &str) -> Result<BusinessId, Error> {
    raw.parse().map_err(|_| Error::BusinessNotFound)
}

pub(crate) async fn business_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Params,
) -> Response {
    let c = match signed_in(&s, &headers).await {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    match business_id(&id) {
        Ok(id) => business(&s, &c, id, &q, None).await,
        Err(_) => super::super::not_found(""),
    }
}

/// Runs a business form: signed in and checked, then `act`; back to the business page
/// with `notice`, or the page again with the error.
async fn business_form<F, Fut>(
    s: &AppState,
    headers: &HeaderMap,
    browser: &Browser,
    id: &str,
    form: &Fields,
    notice: &str,
    act: F,
) -> Response
where
    F: FnOnce(Console, BusinessId) -> Fut,
    Fut: std::future::Future<Output = (Console, Result<(), Error>)>,
{
    let c = match posted(s, headers, browser, form.csrf()).await {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    let Ok(id) = business_id(id) else {
        return super::super::not_found("");
    };
    match act(c, id).await {
        (_, Ok(())) => redirect(&format!("/operator/businesses/{id}?notice={notice}"), &[]),
        (c, Err(e)) => business(s, &c, id, form, failure(e)).await,
    }
}

pub(crate) async fn create_tenant(
    State(s): State<AppState>,
    headers: HeaderMap,
    browser: Browser,
    Path(id): Path<String>,
    form: Fields,
) -> Response {
    let (name, slug) = (form.get("name").to_owned(), form.get("slug").to_owned());
    let (gh, ctx) = (s.gatehouse.clone(), browser.ctx.clone());
    business_form(
        &s,
        &headers,
        &browser,
        &id,
        &form,
        "tenant_created",
        |c, b| async move {
            let made = match TenantName::parse(&name).and_then(|n| Ok((n, Slug::parse(&slug)?))) {
                Ok((n, sl)) => gh.create_tenant(&c.op, &ctx, b, n, sl).await.map(drop),
                Err(e) => Err(e),
            };
            (c, made)
        },
    )
    .await
}

pub(crate) async fn rename_tenant(
    State(s): State<AppState>,
    headers: HeaderMap,
    browser: Browser,
    Path((id, tenant)): Path<(String, String)>,
    form: Fields,
) -> Response {
    let name = form.get("name").to_owned();
    let (gh, ctx) = (s.gatehouse.clone(), browser.ctx.clone());
    business_form(
        &s,
        &headers,
        &browser,
        &id,
        &form,
        "tenant_renamed",
        |c, b| async move {
            let tid = tenant
                .parse::<TenantId>()
                .map_err(|_| Error::TenantNotFound);
            let done = match (tid, TenantName::parse(&name)) {
                (Ok(t), Ok(n)) => gh.rename_tenant(&c.op, &ctx, b, t, n).await.map(drop),
                (Err(e), _) | (_, Err(e)) => Err(e),
            };
            (c, done)
        },
    )
    .await
}

/// Invites a user into the business's Administrators group (made with every right when
/// the business has none): how a business the operator created gets its first administrator.
pub(crate) async fn invite_administrator(
    State(s): State<AppState>,
    headers: HeaderMap,
    browser: Browser,
    Path(id): Path<String>,
    form: Fields,
) -> Response {
    let (email, name) = (
        form.get("email").to_owned(),
        form.get("display_name").to_owned(),
    );
    let (gh, ctx) = (s.gatehouse.clone(), browser.ctx.clone());
    business_form(
        &s,
        &headers,
        &browser,
        &id,
        &form,
        "invited",
        |c, b| async move {
            let result = async {
                let new_email = Email::parse(&email)?;
                let display_name = DisplayName::parse(&name)?;
                let groups = gh.list_groups(&c.op.in_business::<UsersView>(b)).await?;
                let group = match groups.iter().find(|g| g.name.as_str() == ADMINISTRATORS) {
                    Some(g) => g.id,
                    None => {
                        let new = NewGroup {
                            name: GroupName::parse(ADMINISTRATORS)?,
                            description: Description::parse(
                                "Every right; made by the operator console",
                            )?,
                            kind: gatehouse_domain::model::GroupKind::Business,
                            tenants: Vec::new(),
                            grants: gh.catalog().everything(),
                            acknowledge_sensitive: true,
                        };
                        gh.create_group(&c.op.in_business::<GroupsManage>(b), &ctx, new)
                            .await?
                            .id
                    }
                };
                let user = NewUser {
                    email: new_email,
                    display_name,
                    groups: vec![group],
                };
                gh.create_user(&c.op.in_business::<UsersManage>(b), &ctx, user)
                    .await
                    .map(drop)
            }
            .await;
            (c, result)
        },
    )
    .await
}
