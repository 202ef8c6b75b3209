//! `gatehouse serve`: open and migrate the database, settle the operator token, listen, and
//! stop gracefully on SIGINT or SIGTERM (in-flight requests finish, then the pools close).

use std::path::Path;

use anyhow::Context;
use gatehouse_store::Backend;
use gatehouse_web::AppState;

use crate::config::Config;
use crate::console::{gatehouse_at, open_store};
use crate::fd_limit;
use crate::operator::{self, TokenSource};

/// How long a stopping server waits for a mail delivery under way.
const MAIL_STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

pub async fn run(config: &Config) -> anyhow::Result<()> {
    let (token, source) = operator::load_or_create(config)?;
    if let TokenSource::Generated { path, token } = &source {
        // Printed before anything else can fail, so a first start never loses it.
        show_new_token(token.expose(), path);
    }
    let store = open_store(config, true).await?;
    let result = serve_until_signal(config, store.clone(), token, &source).await;
    store.close().await;
    tracing::info!("stopped");
    result
}

async fn serve_until_signal(
    config: &Config,
    store: std::sync::Arc<gatehouse_store::SqlStore>,
    token: gatehouse_web::OperatorToken,
    source: &TokenSource,
) -> anyhow::Result<()> {
    let backend = store.backend();
    let poll_interval = config.authz.poll_interval()?;
    let mut web = config.server.web(config.auth.cookie_secure)?;
    let open_files = fd_limit::raise();
    let wanted = web.connections.max_connections;
    web.connections.max_connections =
        fd_limit::fitting_connections(wanted, open_files, config.database.max_connections);
    if web.connections.max_connections < wanted {
        tracing::warn!(
            open_files,
            max_connections = web.connections.max_connections,
            configured = wanted,
            "server.max_connections lowered to fit the open-file limit; raise the hard limit (ulimit -Hn, LimitNOFILE=) for more"
        );
    }
    // Bound first: with port 0, links in mails need the real address.
    let listener = tokio::net::TcpListener::bind(&config.server.listen)
        .await
        .with_context(|| format!("listening on {}", config.server.listen))?;
    let addr = listener.local_addr()?;
    let metrics_listener = match &config.metrics.listen {
        Some(at) => Some(
            tokio::net::TcpListener::bind(at)
                .await
                .with_context(|| format!("listening for metrics on {at} (metrics.listen)"))?,
        ),
        None => None,
    };
    let gh = gatehouse_at(config, store, &addr.to_string())?;
    if !config.auth.cookie_secure {
        tracing::warn!(
            "auth.cookie_secure is off: session cookies travel over plain HTTP; use this only for local development"
        );
    }
    // Every business's access snapshot is in memory before the first check is answered.
    let started = std::time::Instant::now();
    let businesses = gh
        .load_snapshots()
        .await
        .context("loading the access model")?;
    tracing::info!(
        businesses,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "access snapshots loaded"
    );
    // The OpenID Connect signing keys: made on the first start, then shared by every node.
    gh.load_signing_keys().await.context(
        "loading the OpenID Connect signing keys (they are sealed with auth.totp_key: every node needs the same)",
    )?;
    let key_refresh = {
        let gh = gh.clone();
        tokio::spawn(async move { gh.run_signing_key_refresh(std::future::pending()).await })
    };
    // Other nodes' writes arrive through the change feed; it stops with the server.
    let feed = {
        let gh = gh.clone();
        tokio::spawn(async move {
            gh.run_change_feed(poll_interval, std::future::pending())
                .await
        })
    };
    // Expired locks lift even when nobody signs in; stale rate-limit windows go; ended
    // temporary memberships are removed; access-health scores and digests go out; scheduled
    // access reviews start, and their reminders and escalations go out.
    let sweeper = {
        let gh = gh.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                every.tick().await;
                if let Err(e) = gh.release_expired_locks().await {
                    tracing::warn!(error = %e, "releasing expired locks failed; retrying");
                }
                // Temporary access already ended in every check; this removes and audits it.
                if let Err(e) = gh.sweep_expired_memberships().await {
                    tracing::warn!(error = %e, "removing ended temporary memberships failed; retrying");
                }
                // Access health: one score per business and day, the weekly digest.
                if let Err(e) = gh.record_daily_scores().await {
                    tracing::warn!(error = %e, "recording access-health scores failed; retrying");
                }
                if let Err(e) = gh.send_access_health_digests().await {
                    tracing::warn!(error = %e, "sending access-health digests failed; retrying");
                }
                // Access reviews: recurring ones start; reviewers are reminded, overdue
                // reviews escalate (each notice once per person and review).
                if let Err(e) = gh.start_scheduled_reviews().await {
                    tracing::warn!(error = %e, "starting scheduled access reviews failed; retrying");
                }
                if let Err(e) = gh.send_access_review_notices().await {
                    tracing::warn!(error = %e, "sending access-review notices failed; retrying");
                }
            }
        })
    };
    // Queued mail goes out in the background: at once after a commit that wrote some, with
    // retries and back-off, and again after a restart (it is in the database).
    let (stop_mail, mail_stopped) = tokio::sync::oneshot::channel::<()>();
    let sender = {
        let gh = gh.clone();
        tokio::spawn(async move {
            gh.run_mail_sender(async {
                let _ = mail_stopped.await;
            })
            .await;
        })
    };
    // Back-channel logouts owed to applications go out the same way: durable, retried.
    let (stop_logouts, logouts_stopped) = tokio::sync::oneshot::channel::<()>();
    let logout_sender = {
        let gh = gh.clone();
        let policy = gatehouse_domain::oidc::backchannel::LogoutPolicy::default();
        let transport = gatehouse_web::oidc::HttpLogoutTransport::new(policy.timeout)
            .map_err(anyhow::Error::msg)
            .context("building the back-channel logout client")?;
        tokio::spawn(async move {
            gh.run_logout_sender(&transport, policy, async {
                let _ = logouts_stopped.await;
            })
            .await;
        })
    };
    // Webhook deliveries (written with the changes that cause them) go out the same way.
    let (stop_webhooks, webhooks_stopped) = tokio::sync::oneshot::channel::<()>();
    let webhook_sender = {
        let gh = gh.clone();
        let policy = config.webhooks.policy();
        let transport =
            gatehouse_web::webhooks::HttpWebhookTransport::new(policy.timeout, gh.webhook_config());
        tokio::spawn(async move {
            gh.run_webhook_sender(&transport, policy, async {
                let _ = webhooks_stopped.await;
            })
            .await;
        })
    };
    let setup_link = gh
        .prepare_setup()
        .await
        .context("preparing the first-start setup link")?;
    web.business_tenants = config.operator.business_tenants;
    let state = AppState::new(gh, token, web.clone());
    show_setup(config, backend, &addr.to_string(), source);
    if let Some(link) = setup_link {
        show_setup_link(&link);
    }
    tracing::info!(
        listen = %addr,
        database = %config.database_url(),
        trusted_proxies = %web.trusted_proxies,
        max_connections = web.connections.max_connections,
        "gatehouse is listening"
    );
    // Prometheus scrapes its own listener, never the public port.
    let metrics = metrics_listener.map(|listener| {
        if let Ok(at) = listener.local_addr() {
            tracing::info!(listen = %at, "metrics served at /metrics");
        }
        let app = gatehouse_web::metrics_app(state.clone());
        tokio::spawn(gatehouse_web::serve(listener, app, std::future::pending()))
    });
    let app = gatehouse_web::app(state);
    let served = gatehouse_web::serve_with(listener, app, &web, shutdown_signal())
        .await
        .context("serving HTTP");
    feed.abort();
    sweeper.abort();
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    key_refresh.abort();
    // A delivery under way may finish; one cut short is taken up again when its lease ends.
    let _ = stop_mail.send(());
    let abort = sender.abort_handle();
    if tokio::time::timeout(MAIL_STOP_WAIT, sender).await.is_err() {
        abort.abort();
    }
    let _ = stop_logouts.send(());
    let abort = logout_sender.abort_handle();
    if tokio::time::timeout(MAIL_STOP_WAIT, logout_sender)
        .await
        .is_err()
    {
        abort.abort();
    }
    let _ = stop_webhooks.send(());
    let abort = webhook_sender.abort_handle();
    if tokio::time::timeout(MAIL_STOP_WAIT, webhook_sender)
        .await
        .is_err()
    {
        abort.abort();
    }
    served
}

/// The one-time link of a first start (empty database).
fn show_setup_link(link: &str) {
    eprintln!(
        "\nFirst start: the database has no business yet. Open this link to create the first business,\n\
         its first tenant and your administrator account. It works once (a restart makes a new one):\n\n    {link}\n"
    );
}

fn show_new_token(token: &str, hash_file: &Path) {
    eprintln!(
        "\nA new operator token was generated. It is shown only this once; only its SHA-256 is kept, in {}:\n\n    {token}\n\n\
         Send it as `Authorization: Bearer <token>` to the operator API (/api/v1/businesses).\n\
         Lost it? Run `gatehouse operator-token rotate` and restart `gatehouse serve`.\n",
        hash_file.display()
    );
}

/// Where everything is: the database, the address, how to get the operator token.
fn show_setup(config: &Config, backend: Backend, addr: &str, source: &TokenSource) {
    let database = match backend {
        Backend::Sqlite if config.uses_embedded_database() => {
            let path = config.sqlite_path();
            let shown = std::path::absolute(&path).unwrap_or(path);
            format!("SQLite file {}", shown.display())
        }
        Backend::Sqlite => format!("SQLite {}", config.database_url()),
        Backend::Postgres => format!("PostgreSQL {}", config.database_url()),
    };
    let token = match source {
        TokenSource::Config => "set in the configuration (operator.token)".to_owned(),
        TokenSource::Generated { .. } => "printed above (shown once)".to_owned(),
        TokenSource::HashFile(path) => format!(
            "printed on first start; its hash is in {}. For a new one: `gatehouse operator-token rotate`, then restart",
            path.display()
        ),
    };
    eprintln!(
        "Gatehouse {} is ready.\n  database:       {database}\n  listening on:   http://{addr}  (API /api/v1, OpenAPI /api/v1/openapi.json, health /healthz)\n  operator token: {token}\nStop with Ctrl-C or SIGTERM.",
        env!("CARGO_PKG_VERSION")
    );
}

/// Completes on the first SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
