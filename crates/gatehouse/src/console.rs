//! What the resource commands share: the database opened from configuration, the
//! application core acting as the operator, and lookups of businesses, tenants and groups by
//! slug, name or id.

use std::sync::Arc;

use anyhow::Context;
use gatehouse_domain::audit::RequestContext;
use gatehouse_domain::catalog::Catalog;
use gatehouse_domain::ids::{BusinessId, GroupId, TenantId};
use gatehouse_domain::model::Business;
use gatehouse_domain::page::MAX_PAGE_SIZE;
use gatehouse_domain::principal::{OperatorAccess, Principal, UsersView};
use gatehouse_domain::{Error, Gatehouse, SystemClock};
use gatehouse_store::{ConnectOptions, SqlStore, connect};

use crate::config::Config;
use crate::operator::ensure_data_dir;
use crate::output::Output;

/// The user agent recorded in the audit trail for changes made with the CLI.
pub const CLI_USER_AGENT: &str = concat!("gatehouse-cli/", env!("CARGO_PKG_VERSION"));

/// Opens the configured database (creating the data directory for the embedded one).
pub async fn open_store(config: &Config, migrate: bool) -> anyhow::Result<Arc<SqlStore>> {
    if config.uses_embedded_database() {
        ensure_data_dir(&config.data_dir)?;
    }
    let url = config.database_url();
    let mut options = ConnectOptions::new(url.expose());
    options.max_connections = config.database.max_connections;
    options.migrate = migrate;
    options.listen_for_changes = config.authz.notifications;
    connect(&options)
        .await
        .with_context(|| format!("opening the database {url}"))
}

/// The application core over `store`, with the configured permission catalog and
/// authentication (mail, TOTP keys, sign-in settings).
pub fn gatehouse(config: &Config, store: Arc<SqlStore>) -> anyhow::Result<Gatehouse> {
    gatehouse_at(config, store, &config.server.listen)
}

/// [`gatehouse`] for a server listening on `listen` (the default public address).
pub fn gatehouse_at(
    config: &Config,
    store: Arc<SqlStore>,
    listen: &str,
) -> anyhow::Result<Gatehouse> {
    let catalog = Catalog::with_config(&config.catalog.permissions)?;
    let setup = crate::auth_config::auth_setup(config, listen)?;
    Ok(
        Gatehouse::new(store, Arc::new(SystemClock), Arc::new(catalog))
            .with_auth(setup)?
            .with_oidc(config.oidc.oidc_config()?)
            .with_webhooks(config.webhooks.allowed()),
    )
}

/// An open database and the operator's access to it.
#[derive(Debug)]
pub struct Console {
    pub gatehouse: Gatehouse,
    pub op: OperatorAccess,
    pub ctx: RequestContext,
    pub out: Output,
    store: Arc<SqlStore>,
}

impl Console {
    /// Opens (and migrates) the configured database.
    pub async fn open(config: &Config, out: Output) -> anyhow::Result<Self> {
        let store = open_store(config, true).await?;
        let gatehouse = gatehouse(config, store.clone())?;
        let op = Principal::Operator.operator()?;
        let ctx = RequestContext {
            request_id: Some(format!("cli-{}", uuid::Uuid::new_v4().simple())),
            client_ip: None,
            user_agent: Some(CLI_USER_AGENT.to_owned()),
        };
        Ok(Self {
            gatehouse,
            op,
            ctx,
            out,
            store,
        })
    }

    pub async fn close(self) {
        // Mail the command queued (an invitation, say) gets its attempt before the process
        // ends; what fails stays queued for the server's sender to retry.
        if let Err(e) = self.gatehouse.deliver_due_mail().await {
            tracing::warn!(error = %e, "queued mail not delivered now; a running server will retry it");
        }
        self.store.close().await;
    }

    /// A business by id or slug.
    pub async fn business(&self, key: &str) -> anyhow::Result<Business> {
        let key = key.trim();
        if let Ok(id) = key.parse::<BusinessId>() {
            return Ok(self.gatehouse.get_business(&self.op, id).await?);
        }
        let mut cursor: Option<String> = None;
        loop {
            let page = self
                .gatehouse
                .list_businesses(&self.op, cursor.as_deref(), MAX_PAGE_SIZE)
                .await?;
            if let Some(found) = page.items.into_iter().find(|b| b.slug.as_str() == key) {
                return Ok(found);
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Err(Error::BusinessNotFound.into()),
            }
        }
    }

    /// Every business, over all pages.
    pub async fn all_businesses(&self) -> anyhow::Result<Vec<Business>> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self
                .gatehouse
                .list_businesses(&self.op, cursor.as_deref(), MAX_PAGE_SIZE)
                .await?;
            all.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// A tenant of `business` by id or slug.
    pub async fn tenant(&self, business: BusinessId, key: &str) -> anyhow::Result<TenantId> {
        let key = key.trim();
        let id = key.parse::<TenantId>().ok();
        let tenants = self
            .gatehouse
            .list_business_tenants(&self.op, business)
            .await?;
        tenants
            .iter()
            .find(|t| Some(t.id) == id || t.slug.as_str() == key)
            .map(|t| t.id)
            .ok_or_else(|| Error::TenantNotFound.into())
    }

    /// A group of `business` by id or name (ignoring case).
    pub async fn group(&self, business: BusinessId, key: &str) -> anyhow::Result<GroupId> {
        let key = key.trim();
        let id = key.parse::<GroupId>().ok();
        let groups = self
            .gatehouse
            .list_groups(&self.op.in_business::<UsersView>(business))
            .await?;
        groups
            .iter()
            .find(|g| Some(g.id) == id || g.name.key() == key.to_lowercase())
            .map(|g| g.id)
            .ok_or_else(|| Error::GroupNotFound.into())
    }
}
