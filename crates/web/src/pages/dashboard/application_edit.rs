//! Registering an application and changing one: the form with every setting, its problems
//! beside their fields, and the service rights of the client credentials grant (for holders
//! of `api_keys.manage`, no more than their own). Requires `applications.manage`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_domain::application::{ApplicationView, ClientType, GrantType};
use gatehouse_domain::oidc::applications::{ApplicationPatch, NewApplication};
use gatehouse_domain::principal::{ApiKeysManage, ApplicationsManage};

use super::super::problems::Problems;
use super::application_form::{AppForm, FIELDS, Parsed, service_rights};
use super::applications::{application_of, secret_page};
use super::context::{Answer, Chrome, Dash, DashForm, describe, page_with};
use super::matrix::{Area, BizRow, PermRow};
use crate::browser::Browser;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "dashboard/application_form.html")]
struct FormPage {
    c: Chrome,
    f: AppForm,
    /// A new application (its client type is chosen here, once).
    new: bool,
    client_id: String,
    action: String,
    submit: &'static str,
    /// The signed-in user may give service rights (`api_keys.manage`).
    can_grant: bool,
    areas: Vec<Area<PermRow>>,
    business: Vec<BizRow>,
}

type Failure = Option<(StatusCode, String)>;

fn render(
    d: &Dash,
    f: AppForm,
    existing: Option<&ApplicationView>,
    problems: Problems,
    error: Failure,
) -> Response {
    let keys = d.principal.authorize::<ApiKeysManage>().ok();
    let (areas, business) = keys
        .as_ref()
        .map(|k| service_rights(d, k, &f.grants))
        .unwrap_or_default();
    let title = existing.map_or_else(
        || "Register an application".to_owned(),
        |a| a.name.to_string(),
    );
    let mut c = d.chrome(&title, "applications");
    let status = c.outcome(error, problems);
    page_with(
        status,
        &FormPage {
            c,
            new: existing.is_none(),
            client_id: existing.map(|a| a.client_id.clone()).unwrap_or_default(),
            action: existing.map_or_else(
                || d.admin("/applications/new"),
                |a| d.admin(&format!("/applications/{}", a.id)),
            ),
            submit: if existing.is_some() {
                "Save application"
            } else {
                "Register application"
            },
            can_grant: keys.is_some(),
            areas,
            business,
            f,
        },
    )
}

/// The form of a new application. Requires `applications.manage`.
pub(crate) async fn new_application_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
) -> Answer {
    let (d, _access) = Dash::with::<ApplicationsManage>(&s, browser, &slug).await?;
    Ok(render(
        &d,
        AppForm::blank(),
        None,
        Problems::default(),
        None,
    ))
}

/// Registers an application; a confidential client's secret is shown once. Requires
/// `applications.manage` (and `api_keys.manage` for service rights).
pub(crate) async fn create_application(
    State(s): State<AppState>,
    DashForm(d, access, form): DashForm<ApplicationsManage>,
) -> Answer {
    let f = AppForm::read(&form);
    let mut problems = Problems::default();
    let Some(p) = f.parse(&mut problems) else {
        return Ok(render(&d, f, None, problems, None));
    };
    let service = p.grant_types.contains(&GrantType::ClientCredentials);
    let new = NewApplication {
        name: p.name,
        client_type: if f.confidential {
            ClientType::Confidential
        } else {
            ClientType::Public
        },
        first_party: f.first_party,
        redirect_uris: p.redirect_uris,
        post_logout_redirect_uris: p.post_logout_redirect_uris,
        backchannel_logout_uri: p.backchannel_logout_uri,
        allowed_scopes: p.scopes,
        grant_types: p.grant_types,
        require_mfa: f.require_mfa,
        access_token_ttl: Some(p.lifetimes[0]),
        refresh_token_ttl: Some(p.lifetimes[1]),
        id_token_ttl: Some(p.lifetimes[2]),
        id_token_signed_response_alg: p.alg,
        service_permissions: service.then_some(p.grants),
        acknowledge_sensitive: form.has("acknowledge"),
    };
    let keys = d.principal.authorize::<ApiKeysManage>().ok();
    match s
        .gatehouse
        .create_application(&access, keys.as_ref(), &d.browser.ctx, new)
        .await
    {
        Ok((app, Some(secret))) => Ok(secret_page(
            &d,
            &app,
            secret,
            &format!("{} is registered", app.name),
        )),
        Ok((_, None)) => Ok(d.done(&d.admin("/applications"), "application_created")),
        Err(e) => {
            let error = problems.take(e, FIELDS).map(|e| describe(d.catalog(), e));
            Ok(render(&d, f, None, problems, error))
        }
    }
}

/// The form of an application. Requires `applications.manage`.
pub(crate) async fn edit_application_page(
    State(s): State<AppState>,
    browser: Browser,
    Path((slug, id)): Path<(String, String)>,
) -> Answer {
    let (d, access) = Dash::with::<ApplicationsManage>(&s, browser, &slug).await?;
    let a = application_of(&d, &access, &id).await?;
    Ok(render(
        &d,
        AppForm::of(&a),
        Some(&a),
        Problems::default(),
        None,
    ))
}

/// The change a form asks for: every setting, and new service rights only when they differ
/// from the current ones (or the grant type is new).
fn patch_of(f: &AppForm, p: Parsed, a: &ApplicationView, acknowledge: bool) -> ApplicationPatch {
    let service = p.grant_types.contains(&GrantType::ClientCredentials);
    let new_rights = service && a.service_permissions.as_ref() != Some(&p.grants);
    ApplicationPatch {
        name: Some(p.name),
        first_party: Some(f.first_party),
        redirect_uris: Some(p.redirect_uris),
        post_logout_redirect_uris: Some(p.post_logout_redirect_uris),
        backchannel_logout_uri: Some(p.backchannel_logout_uri),
        allowed_scopes: Some(p.scopes),
        grant_types: Some(p.grant_types),
        require_mfa: Some(f.require_mfa),
        access_token_ttl: Some(p.lifetimes[0]),
        refresh_token_ttl: Some(p.lifetimes[1]),
        id_token_ttl: Some(p.lifetimes[2]),
        id_token_signed_response_alg: Some(p.alg),
        service_permissions: new_rights.then_some(p.grants),
        acknowledge_sensitive: acknowledge,
    }
}

/// Saves an application's settings. Requires `applications.manage` (and `api_keys.manage`
/// for new service rights).
pub(crate) async fn save_application(
    State(s): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    DashForm(d, access, form): DashForm<ApplicationsManage>,
) -> Answer {
    let a = application_of(&d, &access, &id).await?;
    let f = AppForm::read(&form);
    let mut problems = Problems::default();
    let Some(p) = f.parse(&mut problems) else {
        return Ok(render(&d, f, Some(&a), problems, None));
    };
    let patch = patch_of(&f, p, &a, form.has("acknowledge"));
    let keys = d.principal.authorize::<ApiKeysManage>().ok();
    match s
        .gatehouse
        .update_application(&access, keys.as_ref(), &d.browser.ctx, a.id, patch)
        .await
    {
        Ok(_) => Ok(d.done(&d.admin("/applications"), "application_saved")),
        Err(e) => {
            let error = problems.take(e, FIELDS).map(|e| describe(d.catalog(), e));
            Ok(render(&d, f, Some(&a), problems, error))
        }
    }
}
