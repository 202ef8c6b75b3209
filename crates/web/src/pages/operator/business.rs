//! The operator console's page of one business: its tenants (add, rename) and inviting its
//! first administrator. Each form's problems show beside its fields.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use gatehouse_domain::Error;
use gatehouse_domain::ids::{BusinessId, TenantId};
use gatehouse_domain::model::{Business, Tenant};
use gatehouse_domain::principal::{GroupsManage, UsersManage, UsersView};
use gatehouse_domain::services::{NewGroup, NewUser};
use gatehouse_domain::types::{Description, DisplayName, Email, GroupName, Slug, TenantName};

use super::super::dashboard::{Fields, Params};
use super::super::forms::ScopedForm;
use super::super::problems::{FieldMap, Problems};
use super::super::{Page, PageMeta, explain, redirect};
use super::console::{failed, meta};
use super::{Console, ConsoleForm, signed_in};
use crate::state::AppState;

/// The group a business's first administrators join (made with every right when missing).
const ADMINISTRATORS: &str = "Administrators";

#[derive(Template)]
#[template(path = "operator/business.html")]
struct BusinessPage {
    p: PageMeta,
    b: Business,
    tenants: Vec<Tenant>,
    f: Fields,
    /// The tenant whose rename failed (its row shows the name typed and the problem).
    renaming: String,
}

impl BusinessPage {
    /// The `id` of a tenant's rename field: `rename` for the one whose rename failed (so
    /// its problem and the list's link find it).
    fn rename_id(&self, t: &Tenant) -> String {
        if self.renaming == t.id.to_string() {
            "rename".to_owned()
        } else {
            format!("rename-{}", t.id)
        }
    }

    /// The name a tenant's rename field shows.
    fn rename_value(&self, t: &Tenant) -> String {
        if self.renaming == t.id.to_string() {
            self.f.get("name").to_owned()
        } else {
            t.name.to_string()
        }
    }
}

async fn business(
    s: &AppState,
    c: &Console,
    id: BusinessId,
    f: &Fields,
    mut p: PageMeta,
    status: StatusCode,
    renaming: String,
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
    p.title = b.name.to_string();
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
            renaming,
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
        Ok(id) => {
            let p = meta("", c.csrf.clone());
            business(&s, &c, id, &q, p, StatusCode::OK, String::new()).await
        }
        Err(_) => super::super::not_found(""),
    }
}

/// What a business form did: done (back to the business page with its notice), or its
/// problems (beside their fields) and any other error (at the top).
type Outcome = Result<(), (Problems, Option<Error>)>;

/// Runs a business form after its checks: `act`, then back to the business page with
/// `notice`, or the page again with the form's problems.
async fn business_form(
    s: &AppState,
    c: &Console,
    id: &str,
    form: &Fields,
    notice: &str,
    renaming: String,
    outcome: impl AsyncFnOnce(BusinessId) -> Outcome,
) -> Response {
    let Ok(id) = business_id(id) else {
        return super::super::not_found("");
    };
    match outcome(id).await {
        Ok(()) => redirect(&format!("/operator/businesses/{id}?notice={notice}"), &[]),
        Err((problems, error)) => {
            let mut p = meta("", c.csrf.clone());
            let status = failed(&mut p, problems, error);
            business(s, c, id, form, p, status, renaming).await
        }
    }
}

/// The outcome of a form: `change` (there only when every field was valid) run, its error
/// beside its field when it is about one.
async fn settle<T>(
    mut problems: Problems,
    change: Option<impl Future<Output = Result<T, Error>>>,
    fields: FieldMap<'_>,
) -> Outcome {
    let Some(change) = change else {
        return Err((problems, None));
    };
    match change.await {
        Ok(_) => Ok(()),
        Err(e) => {
            let error = problems.take(e, fields);
            Err((problems, error))
        }
    }
}

pub(crate) async fn create_tenant(
    State(s): State<AppState>,
    Path(id): Path<String>,
    ScopedForm(browser, c, form): ConsoleForm,
) -> Response {
    let act = async |b| {
        let mut problems = Problems::default();
        let name = problems.check("tenant-name", "Name", TenantName::parse(form.get("name")));
        let slug = problems.check("tenant-slug", "Short name", Slug::parse(form.get("slug")));
        let change = name
            .zip(slug)
            .map(|(n, sl)| s.gatehouse.create_tenant(&c.op, &browser.ctx, b, n, sl));
        let fields: FieldMap<'_> = &[
            ("name", "tenant-name", "Name"),
            ("slug", "tenant-slug", "Short name"),
        ];
        settle(problems, change, fields).await
    };
    business_form(&s, &c, &id, &form, "tenant_created", String::new(), act).await
}

pub(crate) async fn rename_tenant(
    State(s): State<AppState>,
    Path((id, tenant)): Path<(String, String)>,
    ScopedForm(browser, c, form): ConsoleForm,
) -> Response {
    let act = async |b| {
        let Ok(t) = tenant.parse::<TenantId>() else {
            return Err((Problems::default(), Some(Error::TenantNotFound)));
        };
        let mut problems = Problems::default();
        let change = problems
            .check("rename", "New name", TenantName::parse(form.get("name")))
            .map(|n| s.gatehouse.rename_tenant(&c.op, &browser.ctx, b, t, n));
        settle(problems, change, &[("name", "rename", "New name")]).await
    };
    business_form(&s, &c, &id, &form, "tenant_renamed", tenant.clone(), act).await
}

/// Invites a user into the business's Administrators group (made with every right when
/// the business has none): how a business the operator created gets its first administrator.
pub(crate) async fn invite_administrator(
    State(s): State<AppState>,
    Path(id): Path<String>,
    ScopedForm(browser, c, form): ConsoleForm,
) -> Response {
    let act = async |b| {
        let mut problems = Problems::default();
        let email = problems.check("email", "Email", Email::parse(form.get("email")));
        let name = problems.check(
            "display_name",
            "Name",
            DisplayName::parse(form.get("display_name")),
        );
        let change = email
            .zip(name)
            .map(|(e, n)| invite(&s, &c, &browser.ctx, b, e, n));
        let fields: FieldMap<'_> = &[
            ("email", "email", "Email"),
            ("display_name", "display_name", "Name"),
        ];
        settle(problems, change, fields).await
    };
    business_form(&s, &c, &id, &form, "invited", String::new(), act).await
}

async fn invite(
    s: &AppState,
    c: &Console,
    ctx: &gatehouse_domain::audit::RequestContext,
    b: BusinessId,
    email: Email,
    display_name: DisplayName,
) -> Result<(), Error> {
    let gh = &s.gatehouse;
    let groups = gh.list_groups(&c.op.in_business::<UsersView>(b)).await?;
    let group = match groups.iter().find(|g| g.name.as_str() == ADMINISTRATORS) {
        Some(g) => g.id,
        None => {
            let new = NewGroup {
                name: GroupName::parse(ADMINISTRATORS)?,
                description: Description::parse("Every right; made by the operator console")?,
                kind: gatehouse_domain::model::GroupKind::Business,
                tenants: Vec::new(),
                grants: gh.catalog().everything(),
                acknowledge_sensitive: true,
            };
            gh.create_group(&c.op.in_business::<GroupsManage>(b), ctx, new)
                .await?
                .id
        }
    };
    let user = NewUser {
        email,
        display_name,
        groups: vec![group],
    };
    gh.create_user(&c.op.in_business::<UsersManage>(b), ctx, user)
        .await
        .map(drop)
}
