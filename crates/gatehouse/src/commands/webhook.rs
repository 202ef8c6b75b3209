//! `gatehouse webhook`: a business's webhook endpoints, their secrets and delivery logs.

use clap::Subcommand;
use gatehouse_domain::ids::{WebhookDeliveryId, WebhookId};
use gatehouse_domain::principal::WebhooksManage;
use gatehouse_domain::types::Description;
use gatehouse_domain::webhooks::{
    NewWebhook, WebhookDelivery, WebhookEndpoint, WebhookEventType, WebhookPatch,
};

use crate::console::Console;
use crate::output::{maybe_when, table, when};

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// List the business's endpoints.
    List {
        /// The business, by slug or id.
        #[arg(long)]
        business: String,
    },
    /// Subscribe an endpoint; prints its signing secret once.
    Create {
        #[arg(long)]
        business: String,
        /// `https://` URL (see `webhooks.allow_http` and `webhooks.allow_private_addresses`).
        #[arg(long)]
        url: String,
        /// An event type to subscribe to; repeat for several: users, groups, memberships,
        /// sign_ins, reviews, advisor, audit.
        #[arg(long = "event-type", value_name = "TYPE", required = true)]
        event_types: Vec<String>,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Enable an endpoint again (its waiting deliveries resume, in order), or disable it.
    Enable {
        #[arg(long)]
        business: String,
        #[arg(long)]
        id: WebhookId,
        /// Disable instead.
        #[arg(long)]
        off: bool,
    },
    /// Unsubscribe an endpoint (its undelivered events are dropped).
    Delete {
        #[arg(long)]
        business: String,
        #[arg(long)]
        id: WebhookId,
    },
    /// A new signing secret, printed once; the old one signs too for 24 hours.
    RotateSecret {
        #[arg(long)]
        business: String,
        #[arg(long)]
        id: WebhookId,
    },
    /// The endpoint's last deliveries, newest first.
    Deliveries {
        #[arg(long)]
        business: String,
        #[arg(long)]
        id: WebhookId,
    },
    /// Send a delivery again (a copy, queued after everything else).
    Replay {
        #[arg(long)]
        business: String,
        #[arg(long)]
        id: WebhookId,
        #[arg(long)]
        delivery: WebhookDeliveryId,
    },
}

fn event_types(raw: &[String]) -> anyhow::Result<Vec<WebhookEventType>> {
    raw.iter()
        .map(|t| {
            WebhookEventType::parse(t).ok_or_else(|| anyhow::anyhow!("unknown event type {t:?}"))
        })
        .collect()
}

pub async fn run(cmd: WebhookCommand, c: &Console) -> anyhow::Result<()> {
    let access = |business: &gatehouse_domain::model::Business| {
        c.op.in_business::<WebhooksManage>(business.id)
    };
    match cmd {
        WebhookCommand::List { business } => {
            let b = c.business(&business).await?;
            let hooks = c.gatehouse.list_webhooks(&access(&b)).await?;
            c.out.show(hooks.as_slice(), endpoints_table)
        }
        WebhookCommand::Create {
            business,
            url,
            event_types: types,
            description,
        } => {
            let b = c.business(&business).await?;
            let new = NewWebhook {
                url,
                description: Description::parse(&description)?,
                event_types: event_types(&types)?,
            };
            let (hook, secret) = c.gatehouse.create_webhook(&access(&b), &c.ctx, new).await?;
            c.out
                .show(&hook, |h| endpoints_table(std::slice::from_ref(h)))?;
            eprintln!("Signing secret (shown once): {}", secret.expose());
            Ok(())
        }
        WebhookCommand::Enable { business, id, off } => {
            let b = c.business(&business).await?;
            let patch = WebhookPatch {
                enabled: Some(!off),
                ..WebhookPatch::default()
            };
            let hook = c
                .gatehouse
                .update_webhook(&access(&b), &c.ctx, id, patch)
                .await?;
            c.out
                .show(&hook, |h| endpoints_table(std::slice::from_ref(h)))
        }
        WebhookCommand::Delete { business, id } => {
            let b = c.business(&business).await?;
            c.gatehouse.delete_webhook(&access(&b), &c.ctx, id).await?;
            c.out.line("deleted")
        }
        WebhookCommand::RotateSecret { business, id } => {
            let b = c.business(&business).await?;
            let (hook, secret) = c
                .gatehouse
                .rotate_webhook_secret(&access(&b), &c.ctx, id)
                .await?;
            c.out
                .show(&hook, |h| endpoints_table(std::slice::from_ref(h)))?;
            eprintln!("New signing secret (shown once): {}", secret.expose());
            Ok(())
        }
        WebhookCommand::Deliveries { business, id } => {
            let b = c.business(&business).await?;
            let log = c
                .gatehouse
                .list_webhook_deliveries(&access(&b), id, 100)
                .await?;
            c.out.show(log.as_slice(), deliveries_table)
        }
        WebhookCommand::Replay {
            business,
            id,
            delivery,
        } => {
            let b = c.business(&business).await?;
            let copy = c
                .gatehouse
                .replay_webhook_delivery(&access(&b), &c.ctx, id, delivery)
                .await?;
            c.out
                .show(&copy, |d| deliveries_table(std::slice::from_ref(d)))
        }
    }
}

fn endpoints_table(items: &[WebhookEndpoint]) -> comfy_table::Table {
    let mut t = table(&["ID", "URL", "EVENT TYPES", "ENABLED", "CREATED"]);
    for h in items {
        let types: Vec<&str> = h.event_types.iter().map(|t| t.as_str()).collect();
        t.add_row([
            h.id.to_string(),
            h.url.clone(),
            types.join(","),
            match &h.disabled_reason {
                Some(why) if !h.enabled => format!("no ({why})"),
                _ => h.enabled.to_string(),
            },
            when(h.created_at),
        ]);
    }
    t
}

fn deliveries_table(items: &[WebhookDelivery]) -> comfy_table::Table {
    let mut t = table(&["ID", "EVENT", "STATE", "ATTEMPTS", "LAST", "DELIVERED"]);
    for d in items {
        t.add_row([
            d.id.to_string(),
            d.event_type.clone(),
            d.state.as_str().to_owned(),
            d.attempts.to_string(),
            d.last_error
                .clone()
                .or_else(|| d.last_status.map(|s| s.to_string()))
                .unwrap_or_else(|| "-".to_owned()),
            maybe_when(d.delivered_at),
        ]);
    }
    t
}
