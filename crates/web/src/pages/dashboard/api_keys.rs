//! API keys: the list (rights, creator, expiry, last use), creating one with rights no larger
//! than the creator's (its token shown once, with a copy button), and revoking one.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_domain::Error;
use gatehouse_domain::grants::Grants;
use gatehouse_domain::ids::ApiKeyId;
use gatehouse_domain::model::ApiKey;
use gatehouse_domain::principal::{ApiKeysManage, BusinessAccess};
use gatehouse_domain::services::NewApiKey;
use gatehouse_domain::types::ApiKeyName;

use super::super::problems::Problems;
use super::context::{Answer, Chrome, Dash, DashForm, describe, notice_text, page_with};
use super::fields::{Fields, Params};
use super::group_form::{GroupForm, editor_view};
use super::matrix::{Area, BizRow, PermRow, Summary, grants_from, summary};
use super::user::when;
use super::user_actions::ConfirmPage;
use super::users::Opt;
use crate::browser::Browser;
use crate::state::AppState;

#[derive(Debug)]
struct KeyRow {
    id: String,
    name: String,
    s: Summary,
    created_by: String,
    created: String,
    expires: String,
    last_used: String,
    usable: bool,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "dashboard/api_keys.html")]
struct KeysPage {
    c: Chrome,
    rows: Vec<KeyRow>,
    name: String,
    expiries: Vec<Opt>,
    areas: Vec<Area<PermRow>>,
    business: Vec<BizRow>,
    /// The token of a key just created: shown this once.
    token: Option<String>,
}

type Failure = Option<(StatusCode, String)>;

async fn render(
    d: &Dash,
    access: &BusinessAccess<ApiKeysManage>,
    form: Option<&Fields>,
    token: Option<String>,
    error: Failure,
    notice: Option<&str>,
    problems: Problems,
) -> Answer {
    let gh = &d.state.gatehouse;
    let keys = gh
        .list_api_keys(access)
        .await
        .map_err(|e| d.fail(e, "api_keys"))?;
    let now = gh.now();
    let grants = form
        .filter(|_| token.is_none())
        .and_then(|f| grants_from(f).ok())
        .unwrap_or_default();
    // What the creator holds business-wide is what a key may get: a business-scope form.
    let held = GroupForm {
        grants,
        ..GroupForm::new_group()
    };
    let v = editor_view(d, &held, &[]).await;
    let mut c = d.chrome("API keys", "api_keys");
    let status = c.outcome(error, problems);
    c.notice = notice.map(str::to_owned);
    let keep = |name: &str| {
        form.filter(|_| token.is_none())
            .map(|f| f.get(name).to_owned())
            .unwrap_or_default()
    };
    Ok(page_with(
        status,
        &KeysPage {
            rows: keys.iter().map(|k| key_row(d, k, now)).collect(),
            name: keep("name"),
            expiries: {
                let current = Some(keep("expiry")).filter(|e| !e.is_empty());
                let current = current.as_deref().unwrap_or("90");
                [
                    ("30", "In 30 days"),
                    ("90", "In 90 days"),
                    ("365", "In a year"),
                    ("never", "Never"),
                ]
                .into_iter()
                .map(|(v, l)| Opt::new(v, l, current))
                .collect()
            },
            areas: v.areas,
            business: v.business,
            token,
            c,
        },
    ))
}

fn key_row(d: &Dash, k: &ApiKey, now: time::OffsetDateTime) -> KeyRow {
    KeyRow {
        id: k.id.to_string(),
        name: k.name.to_string(),
        s: summary(d.catalog(), &k.grants),
        created_by: k.created_by.label.clone(),
        created: when(k.created_at),
        expires: k.expires_at.map_or_else(|| "Never".to_owned(), when),
        last_used: k.last_used_at.map_or_else(|| "Never".to_owned(), when),
        usable: k.is_usable_at(now),
        revoked: k.revoked_at.is_some(),
    }
}

/// The API keys page. Requires `api_keys.manage`.
pub(crate) async fn api_keys_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Answer {
    let (d, access) = Dash::with::<ApiKeysManage>(&s, browser, &slug).await?;
    render(
        &d,
        &access,
        None,
        None,
        None,
        notice_text(q.get("notice")),
        Problems::default(),
    )
    .await
}

fn new_key(d: &Dash, f: &Fields) -> Result<NewApiKey, Error> {
    let days: Option<i64> = match f.get("expiry") {
        "" | "never" => None,
        n => Some(
            n.parse()
                .map_err(|_| Error::invalid("invalid_expiry", "expires_at", "choose an expiry"))?,
        ),
    };
    let grants: Grants = grants_from(f)?;
    Ok(NewApiKey {
        name: ApiKeyName::parse(f.get("name"))?,
        expires_at: days.map(|n| d.state.gatehouse.now() + time::Duration::days(n)),
        grants,
        acknowledge_sensitive: f.has("acknowledge"),
    })
}

/// Creates a key and shows its token once. Requires `api_keys.manage` and every right the
/// key gets.
pub(crate) async fn create_api_key(
    State(s): State<AppState>,
    DashForm(d, access, form): DashForm<ApiKeysManage>,
) -> Answer {
    let created = match new_key(&d, &form) {
        Ok(new) => {
            s.gatehouse
                .create_api_key(&access, &d.browser.ctx, new)
                .await
        }
        Err(e) => Err(e),
    };
    match created {
        Ok((_, token)) => {
            render(
                &d,
                &access,
                None,
                Some(token),
                None,
                None,
                Problems::default(),
            )
            .await
        }
        Err(e) => {
            let mut problems = Problems::default();
            let err = problems
                .take(e, &[("name", "name", "Name")])
                .map(|e| describe(d.catalog(), e));
            render(&d, &access, Some(&form), None, err, None, problems).await
        }
    }
}

async fn key_of(d: &Dash, access: &BusinessAccess<ApiKeysManage>, id: &str) -> Answer<ApiKey> {
    let id: ApiKeyId = id
        .parse()
        .map_err(|_| d.fail(Error::ApiKeyNotFound, "api_keys"))?;
    let keys = d
        .state
        .gatehouse
        .list_api_keys(access)
        .await
        .map_err(|e| d.fail(e, "api_keys"))?;
    keys.into_iter()
        .find(|k| k.id == id)
        .ok_or_else(|| d.fail(Error::ApiKeyNotFound, "api_keys"))
}

fn confirm(d: &Dash, k: &ApiKey, error: Failure) -> axum::response::Response {
    let mut c = d.chrome(&format!("Revoke {}?", k.name), "api_keys");
    let status = error.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    c.error = error.map(|(_, t)| t);
    page_with(
        status,
        &ConfirmPage {
            c,
            question: format!("Revoke {}?", k.name),
            consequence: format!(
                "Every request made with the key {} is refused from now on. This cannot be undone; create a new key to replace it.",
                k.name
            ),
            action: d.admin(&format!("/api-keys/{}/revoke", k.id)),
            button: format!("Revoke {}", k.name),
            danger: true,
            cancel: d.admin("/api-keys"),
            warn_self: None,
        },
    )
}

/// The confirmation of revoking a key. Requires `api_keys.manage`.
pub(crate) async fn revoke_page(
    State(s): State<AppState>,
    browser: Browser,
    Path((slug, id)): Path<(String, String)>,
) -> Answer {
    let (d, access) = Dash::with::<ApiKeysManage>(&s, browser, &slug).await?;
    let k = key_of(&d, &access, &id).await?;
    Ok(confirm(&d, &k, None))
}

/// Revokes a key. Requires `api_keys.manage`.
pub(crate) async fn revoke_api_key(
    State(s): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    DashForm(d, access, _form): DashForm<ApiKeysManage>,
) -> Answer {
    let k = key_of(&d, &access, &id).await?;
    match s
        .gatehouse
        .revoke_api_key(&access, &d.browser.ctx, k.id)
        .await
    {
        Ok(_) => Ok(d.done(&d.admin("/api-keys"), "key_revoked")),
        Err(e) => Ok(confirm(&d, &k, Some(describe(d.catalog(), e)))),
    }
}
