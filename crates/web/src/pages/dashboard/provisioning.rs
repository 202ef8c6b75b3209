//! Provisioning (SCIM): where the identity provider connects, which credentials may
//! provision, whether provisioned users are invited at once, and the latest SCIM requests
//! with their errors. Requires `api_keys.manage` (the credentials are API keys and
//! applications); changing the invitation setting also `settings.manage`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_domain::principal::{ApiKeysManage, BusinessAccess, SettingsManage};
use gatehouse_domain::scim::{SHOWN_REQUESTS, ScimSettings};

use super::context::{Answer, Chrome, Dash, DashForm, notice_text, page_with};
use super::fields::Params;
use super::user::when;
use crate::browser::Browser;
use crate::state::AppState;

#[derive(Debug)]
struct RequestRow {
    at: String,
    actor: String,
    request: String,
    status: u16,
    error: String,
}

#[derive(Template)]
#[template(path = "dashboard/provisioning.html")]
struct ProvisioningPage {
    c: Chrome,
    scim_url: String,
    /// Keys that may provision, by name.
    credentials: Vec<String>,
    invite: bool,
    can_change: bool,
    rows: Vec<RequestRow>,
    shown: u32,
}

async fn render(d: &Dash, access: &BusinessAccess<ApiKeysManage>, notice: Option<&str>) -> Answer {
    let gh = &d.state.gatehouse;
    let fail = |e| d.fail(e, "provisioning");
    let settings = gh.scim_settings(access).await.map_err(fail)?;
    let requests = gh.scim_requests(access).await.map_err(fail)?;
    let now = gh.now();
    let credentials = gh
        .list_api_keys(access)
        .await
        .map_err(fail)?
        .into_iter()
        .filter(|k| {
            k.is_usable_at(now)
                && k.grants
                    .business
                    .iter()
                    .any(|p| p.as_str() == "scim.provision")
        })
        .map(|k| k.name.to_string())
        .collect();
    let mut c = d.chrome("Provisioning", "provisioning");
    c.notice = notice.map(str::to_owned);
    let can_change = d.can.settings_manage;
    Ok(page_with(
        StatusCode::OK,
        &ProvisioningPage {
            scim_url: gh.scim_base(),
            credentials,
            invite: settings.invite,
            can_change,
            rows: requests
                .into_iter()
                .map(|r| RequestRow {
                    at: when(r.at),
                    actor: r.actor,
                    request: format!("{} {}", r.method, r.path),
                    status: r.status,
                    error: r.error.unwrap_or_default(),
                })
                .collect(),
            shown: SHOWN_REQUESTS,
            c,
        },
    ))
}

/// The Provisioning page. Requires `api_keys.manage`.
pub(crate) async fn provisioning_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Answer {
    let (d, access) = Dash::with::<ApiKeysManage>(&s, browser, &slug).await?;
    render(&d, &access, notice_text(q.get("notice"))).await
}

/// Saves whether provisioned users are invited at once. Requires `settings.manage`.
pub(crate) async fn save_provisioning(
    State(s): State<AppState>,
    DashForm(d, access, form): DashForm<SettingsManage>,
) -> Answer {
    let settings = ScimSettings {
        invite: form.get("invite") == "now",
    };
    s.gatehouse
        .set_scim_settings(&access, &d.browser.ctx, settings)
        .await
        .map_err(|e| d.fail(e, "provisioning"))?;
    Ok(d.done(&d.admin("/provisioning"), "provisioning_saved"))
}
