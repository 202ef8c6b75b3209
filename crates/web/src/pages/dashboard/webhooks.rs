//! Webhooks: the business's endpoints (state, event types), subscribing one (its secret shown
//! once), enabling one again after it was disabled, and an endpoint's delivery log with
//! replay. Requires `webhooks.manage`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_domain::Error;
use gatehouse_domain::ids::{WebhookDeliveryId, WebhookId};
use gatehouse_domain::principal::{BusinessAccess, WebhooksManage};
use gatehouse_domain::types::Description;
use gatehouse_domain::webhooks::{
    NewWebhook, WebhookDelivery, WebhookEndpoint, WebhookEventType, WebhookPatch,
};

use super::super::problems::Problems;
use super::context::{Answer, Chrome, Dash, DashForm, describe, notice_text, page_with};
use super::fields::{Fields, Params};
use super::user::when;
use crate::browser::Browser;
use crate::state::AppState;

/// How many deliveries the log shows.
const LOG_SIZE: u32 = 50;

#[derive(Debug)]
struct HookRow {
    id: String,
    url: String,
    types: String,
    enabled: bool,
    disabled_reason: String,
    created: String,
}

#[derive(Debug)]
struct DeliveryRow {
    id: String,
    event: String,
    object: String,
    state: &'static str,
    attempts: i64,
    last: String,
    when: String,
}

#[derive(Debug)]
struct TypeBox {
    value: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "dashboard/webhooks.html")]
struct WebhooksPage {
    c: Chrome,
    rows: Vec<HookRow>,
    types: Vec<TypeBox>,
    url: String,
    description: String,
    /// The secret of an endpoint just subscribed: shown this once.
    secret: Option<String>,
    /// The endpoint whose log is shown, and its deliveries.
    log_of: Option<HookRow>,
    log: Vec<DeliveryRow>,
}

fn hook_row(h: &WebhookEndpoint) -> HookRow {
    HookRow {
        id: h.id.to_string(),
        url: h.url.clone(),
        types: h
            .event_types
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        enabled: h.enabled,
        disabled_reason: h.disabled_reason.clone().unwrap_or_default(),
        created: when(h.created_at),
    }
}

fn delivery_row(d: &WebhookDelivery) -> DeliveryRow {
    DeliveryRow {
        id: d.id.to_string(),
        event: d.event_type.clone(),
        object: d.object.clone(),
        state: d.state.as_str(),
        attempts: d.attempts,
        last: d
            .last_error
            .clone()
            .or_else(|| d.last_status.map(|s| format!("HTTP {s}")))
            .unwrap_or_default(),
        when: when(d.delivered_at.unwrap_or(d.created_at)),
    }
}

/// What a page shows besides the list.
#[derive(Default)]
struct Extra<'a> {
    form: Option<&'a Fields>,
    secret: Option<String>,
    log_of: Option<WebhookId>,
    error: Option<(StatusCode, String)>,
    notice: Option<&'a str>,
    problems: Problems,
}

async fn render(d: &Dash, access: &BusinessAccess<WebhooksManage>, x: Extra<'_>) -> Answer {
    let gh = &d.state.gatehouse;
    let hooks = gh
        .list_webhooks(access)
        .await
        .map_err(|e| d.fail(e, "webhooks"))?;
    let (log_of, log) = match x.log_of {
        Some(id) => {
            let hook = gh
                .get_webhook(access, id)
                .await
                .map_err(|e| d.fail(e, "webhooks"))?;
            let log = gh
                .list_webhook_deliveries(access, id, LOG_SIZE)
                .await
                .map_err(|e| d.fail(e, "webhooks"))?;
            (
                Some(hook_row(&hook)),
                log.iter().map(delivery_row).collect(),
            )
        }
        None => (None, Vec::new()),
    };
    let mut c = d.chrome("Webhooks", "webhooks");
    let status = c.outcome(x.error, x.problems);
    c.notice = x.notice.map(str::to_owned);
    let keep = |name: &str| {
        x.form
            .filter(|_| x.secret.is_none())
            .map(|f| f.get(name).to_owned())
            .unwrap_or_default()
    };
    let types = WebhookEventType::ALL
        .into_iter()
        .map(|t| TypeBox {
            value: t.as_str(),
            checked: x.form.is_some_and(|f| {
                x.secret.is_none() && f.all("event_types").iter().any(|v| *v == t.as_str())
            }),
        })
        .collect();
    Ok(page_with(
        status,
        &WebhooksPage {
            rows: hooks.iter().map(hook_row).collect(),
            types,
            url: keep("url"),
            description: keep("description"),
            secret: x.secret,
            log_of,
            log,
            c,
        },
    ))
}

/// The webhooks page; `?log=<endpoint id>` shows that endpoint's deliveries. Requires
/// `webhooks.manage`.
pub(crate) async fn webhooks_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Answer {
    let (d, access) = Dash::with::<WebhooksManage>(&s, browser, &slug).await?;
    let log_of = match q.get("log") {
        "" => None,
        id => Some(
            id.parse()
                .map_err(|_| d.fail(Error::WebhookNotFound, "webhooks"))?,
        ),
    };
    let extra = Extra {
        log_of,
        notice: notice_text(q.get("notice")),
        ..Extra::default()
    };
    render(&d, &access, extra).await
}

fn new_webhook(f: &Fields) -> Result<NewWebhook, Error> {
    Ok(NewWebhook {
        url: f.get("url").trim().to_owned(),
        description: Description::parse(f.get("description"))?,
        event_types: f
            .all("event_types")
            .iter()
            .filter_map(|t| WebhookEventType::parse(t))
            .collect(),
    })
}

/// Subscribes an endpoint and shows its secret once. Requires `webhooks.manage`.
pub(crate) async fn create_webhook(
    State(s): State<AppState>,
    DashForm(d, access, form): DashForm<WebhooksManage>,
) -> Answer {
    let created = match new_webhook(&form) {
        Ok(new) => {
            s.gatehouse
                .create_webhook(&access, &d.browser.ctx, new)
                .await
        }
        Err(e) => Err(e),
    };
    match created {
        Ok((_, secret)) => {
            let extra = Extra {
                secret: Some(secret.expose()),
                ..Extra::default()
            };
            render(&d, &access, extra).await
        }
        Err(e) => {
            let mut problems = Problems::default();
            let error = problems
                .take(
                    e,
                    &[
                        ("url", "url", "URL"),
                        ("event_types", "event_types", "Events"),
                        ("description", "description", "Description"),
                    ],
                )
                .map(|e| describe(d.catalog(), e));
            let extra = Extra {
                form: Some(&form),
                error,
                problems,
                ..Extra::default()
            };
            render(&d, &access, extra).await
        }
    }
}

fn endpoint_id(raw: &str) -> Result<WebhookId, Error> {
    raw.parse().map_err(|_| Error::WebhookNotFound)
}

/// Enables an endpoint again (its waiting deliveries resume, in order) or disables it.
/// Requires `webhooks.manage`.
pub(crate) async fn set_enabled(
    State(s): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    DashForm(d, access, form): DashForm<WebhooksManage>,
) -> Answer {
    let id = endpoint_id(&id).map_err(|e| d.fail(e, "webhooks"))?;
    let patch = WebhookPatch {
        enabled: Some(form.get("enabled") == "yes"),
        ..WebhookPatch::default()
    };
    s.gatehouse
        .update_webhook(&access, &d.browser.ctx, id, patch)
        .await
        .map_err(|e| d.fail(e, "webhooks"))?;
    Ok(d.done(&d.admin("/webhooks"), "webhook_saved"))
}

/// Sends a delivery again. Requires `webhooks.manage`.
pub(crate) async fn replay(
    State(s): State<AppState>,
    Path((_, id, delivery)): Path<(String, String, String)>,
    DashForm(d, access, _form): DashForm<WebhooksManage>,
) -> Answer {
    let id = endpoint_id(&id).map_err(|e| d.fail(e, "webhooks"))?;
    let delivery: WebhookDeliveryId = delivery
        .parse()
        .map_err(|_| d.fail(Error::WebhookDeliveryNotFound, "webhooks"))?;
    s.gatehouse
        .replay_webhook_delivery(&access, &d.browser.ctx, id, delivery)
        .await
        .map_err(|e| d.fail(e, "webhooks"))?;
    Ok(d.done(
        &d.admin(&format!("/webhooks?log={id}")),
        "delivery_replayed",
    ))
}
