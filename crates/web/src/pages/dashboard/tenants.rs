//! Business → Tenants: the business's tenants with the groups that name them; and, where the
//! operator lets business administrators manage tenants (`operator.business_tenants`),
//! creating and renaming them (`settings.manage`). Deleting stays with the operator.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_domain::Error;
use gatehouse_domain::ids::TenantId;
use gatehouse_domain::model::{GroupScope, Tenant};
use gatehouse_domain::principal::{AnyMember, SettingsManage, UsersView};
use gatehouse_domain::types::{Slug, TenantName};

use super::super::problems::{FieldMap, Problems};
use super::context::{Answer, Chrome, Dash, DashForm, describe, notice_text, page_with};
use super::fields::{Fields, Params};
use super::user::when;
use crate::browser::Browser;
use crate::state::AppState;

#[derive(Debug)]
struct TenantRow {
    id: String,
    name: String,
    slug: String,
    created: String,
    /// Tenants groups naming it; `None` when the viewer may not see groups.
    groups: Option<Vec<String>>,
}

#[derive(Template)]
#[template(path = "dashboard/tenants.html")]
struct TenantsPage {
    c: Chrome,
    rows: Vec<TenantRow>,
    business_groups: usize,
    name: String,
    slug: String,
}

#[derive(Template)]
#[template(path = "dashboard/tenant_edit.html")]
struct RenamePage {
    c: Chrome,
    id: String,
    slug: String,
    name: String,
}

type Failure = Option<(StatusCode, String)>;

async fn render(
    d: &Dash,
    form: &Fields,
    error: Failure,
    notice: Option<&str>,
    problems: Problems,
) -> Answer {
    let any = d
        .principal
        .authorize::<AnyMember>()
        .map_err(|e| d.fail(e, "tenants"))?;
    let gh = &d.state.gatehouse;
    let tenants = gh
        .list_tenants(&any)
        .await
        .map_err(|e| d.fail(e, "tenants"))?;
    let groups = match d.principal.authorize::<UsersView>() {
        Ok(view) => Some(
            gh.list_groups(&view)
                .await
                .map_err(|e| d.fail(e, "tenants"))?,
        ),
        Err(_) => None,
    };
    let business_groups = groups.as_ref().map_or(0, |gs| {
        gs.iter()
            .filter(|g| matches!(g.scope, GroupScope::Business))
            .count()
    });
    let rows = tenants
        .iter()
        .map(|t| TenantRow {
            id: t.id.to_string(),
            name: t.name.to_string(),
            slug: t.slug.to_string(),
            created: when(t.created_at),
            groups: groups.as_ref().map(|gs| {
                gs.iter()
                    .filter(|g| g.scope.tenant_ids().contains(&t.id))
                    .map(|g| g.name.to_string())
                    .collect()
            }),
        })
        .collect();
    let mut c = d.chrome("Tenants", "tenants");
    let status = c.outcome(error, problems);
    c.notice = notice.map(str::to_owned);
    Ok(page_with(
        status,
        &TenantsPage {
            rows,
            business_groups,
            name: form.get("name").to_owned(),
            slug: form.get("slug").to_owned(),
            c,
        },
    ))
}

/// The tenants. Open to every member of the business.
pub(crate) async fn tenants_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Answer {
    let d = Dash::load(&s, browser, &slug).await?;
    render(
        &d,
        &Fields::default(),
        None,
        notice_text(q.get("notice")),
        Problems::default(),
    )
    .await
}

/// The operator's setting, as a refusal when it is off.
async fn allowed(d: &Dash) -> Result<(), Response> {
    if d.state.config.business_tenants {
        return Ok(());
    }
    Err(d.fail(Error::OperatorOnly, "tenants"))
}

/// Creates a tenant. Requires `settings.manage`, where the operator allows it.
pub(crate) async fn create_tenant(
    State(s): State<AppState>,
    DashForm(d, access, form): DashForm<SettingsManage>,
) -> Answer {
    allowed(&d).await?;
    let mut problems = Problems::default();
    let name = problems.check("name", "Name", TenantName::parse(form.get("name")));
    let short = problems.check("slug", "Short name", Slug::parse(form.get("slug")));
    let (Some(name), Some(short)) = (name, short) else {
        return render(&d, &form, None, None, problems).await;
    };
    match s
        .gatehouse
        .create_own_tenant(&access, &d.browser.ctx, name, short)
        .await
    {
        Ok(_) => Ok(d.done(&d.admin("/tenants"), "tenant_created")),
        Err(e) => {
            let fields: FieldMap<'_> = &[("name", "name", "Name"), ("slug", "slug", "Short name")];
            let error = problems.take(e, fields).map(|e| describe(d.catalog(), e));
            render(&d, &form, error, None, problems).await
        }
    }
}

async fn tenant_of(d: &Dash, id: &str) -> Answer<Tenant> {
    let any = d
        .principal
        .authorize::<AnyMember>()
        .map_err(|e| d.fail(e, "tenants"))?;
    let id: TenantId = id
        .parse()
        .map_err(|_| d.fail(Error::TenantNotFound, "tenants"))?;
    let tenants = d
        .state
        .gatehouse
        .list_tenants(&any)
        .await
        .map_err(|e| d.fail(e, "tenants"))?;
    tenants
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| d.fail(Error::TenantNotFound, "tenants"))
}

fn rename_page(d: &Dash, t: &Tenant, name: &str, error: Failure, problems: Problems) -> Response {
    let mut c = d.chrome(&format!("Rename {}", t.name), "tenants");
    let status = problems.status(error.as_ref().map(|(s, _)| *s));
    c.error = error.map(|(_, t)| t);
    c.problems = problems;
    page_with(
        status,
        &RenamePage {
            c,
            id: t.id.to_string(),
            slug: t.slug.to_string(),
            name: name.to_owned(),
        },
    )
}

/// The rename form. Requires `settings.manage`, where the operator allows it.
pub(crate) async fn rename_form(
    State(s): State<AppState>,
    browser: Browser,
    Path((slug, id)): Path<(String, String)>,
) -> Answer {
    let (d, _access) = Dash::with::<SettingsManage>(&s, browser, &slug).await?;
    allowed(&d).await?;
    let t = tenant_of(&d, &id).await?;
    Ok(rename_page(
        &d,
        &t,
        t.name.as_str(),
        None,
        Problems::default(),
    ))
}

/// Renames a tenant (its short name stays: addresses and API clients use it). Requires
/// `settings.manage`, where the operator allows it.
pub(crate) async fn rename_tenant(
    State(s): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    DashForm(d, access, form): DashForm<SettingsManage>,
) -> Answer {
    allowed(&d).await?;
    let t = tenant_of(&d, &id).await?;
    let mut problems = Problems::default();
    let Some(name) = problems.check("name", "Name", TenantName::parse(form.get("name"))) else {
        return Ok(rename_page(&d, &t, form.get("name"), None, problems));
    };
    match s
        .gatehouse
        .rename_own_tenant(&access, &d.browser.ctx, t.id, name)
        .await
    {
        Ok(_) => Ok(d.done(&d.admin("/tenants"), "tenant_renamed")),
        Err(e) => {
            let error = problems
                .take(e, &[("name", "name", "Name")])
                .map(|e| describe(d.catalog(), e));
            Ok(rename_page(&d, &t, form.get("name"), error, problems))
        }
    }
}
