//! An example application that signs its users in through Gatehouse.
//!
//! - Sign-in: OpenID Connect authorization code flow with PKCE, `state` and `nonce`, through
//!   the standard relying-party library (`openidconnect`); the ID token is validated
//!   (signature against the JWKS, issuer, audience, nonce, expiry) before anything is shown.
//! - The page shows the user's email, name and Gatehouse groups (the `gatehouse:access`
//!   scope puts them in the ID token).
//! - Two features are gated by Gatehouse's decision API (`POST /api/v1/authz/check`), asked
//!   with the application's own client credentials token (cached until shortly before it
//!   expires): "Live reports" (`analytics` in Live) and "Sandbox tools" (`developer_area` in
//!   Sandbox), both in the configured tenant.
//! - Sign-out: RP-initiated logout at the provider's `end_session_endpoint`.
//!
//! Sessions live in memory, keyed by a random cookie: enough for an example, not for an
//! application that runs more than one process or must survive a restart.

mod decisions;
mod page;
mod sign_in;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::routing::{get, post};
use openidconnect::core::{CoreClient, CoreIdToken};
use openidconnect::{
    ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce,
    PkceCodeVerifier, ProviderMetadataWithLogout, RedirectUrl,
};

/// What the application needs to know; see [`Config::from_env`].
#[derive(Debug, Clone)]
pub struct Config {
    /// The business's issuer, e.g. `http://127.0.0.1:8080/b/acme`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// The tenant whose features the page gates.
    pub tenant_id: String,
    /// Where this application is reached, e.g. `http://127.0.0.1:3000` (its callback is
    /// `{base_url}/callback`, and sign-out comes back to `{base_url}/`).
    pub base_url: String,
    /// The address `main` listens on.
    pub listen: String,
}

impl Config {
    /// From `GATEHOUSE_ISSUER`, `DEMO_CLIENT_ID`, `DEMO_CLIENT_SECRET`, `DEMO_TENANT_ID`,
    /// and optionally `DEMO_LISTEN` (default `127.0.0.1:3000`) and `DEMO_BASE_URL` (default
    /// `http://{DEMO_LISTEN}`).
    pub fn from_env() -> Result<Self, String> {
        let need = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| format!("{name} is not set"))
        };
        let listen = std::env::var("DEMO_LISTEN").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
        let base_url =
            std::env::var("DEMO_BASE_URL").unwrap_or_else(|_| format!("http://{listen}"));
        Ok(Self {
            issuer: need("GATEHOUSE_ISSUER")?,
            client_id: need("DEMO_CLIENT_ID")?,
            client_secret: need("DEMO_CLIENT_SECRET")?,
            tenant_id: need("DEMO_TENANT_ID")?,
            base_url: base_url.trim_end_matches('/').to_owned(),
            listen,
        })
    }

    /// Gatehouse's own base URL: the issuer without its `/b/{slug}`.
    fn gatehouse_base(&self) -> &str {
        self.issuer
            .rsplit_once("/b/")
            .map_or(self.issuer.as_str(), |(base, _)| base)
    }

    fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

/// The relying party as discovery configures it.
pub(crate) type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A browser's state: signing in (what the callback checks) or signed in.
#[derive(Debug)]
enum Visit {
    SigningIn {
        state: String,
        nonce: Nonce,
        verifier: PkceCodeVerifier,
    },
    SignedIn(Box<User>),
}

/// The signed-in user, from the validated ID token.
#[derive(Debug, Clone)]
struct User {
    id: String,
    email: String,
    name: String,
    groups: Vec<String>,
    id_token: CoreIdToken,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    /// The library's rule: its HTTP client must not follow redirects.
    http: reqwest::Client,
    provider: tokio::sync::OnceCell<(Client, ProviderMetadataWithLogout)>,
    visits: Mutex<HashMap<String, Visit>>,
    service_token: tokio::sync::Mutex<Option<decisions::CachedToken>>,
}

#[derive(Debug, Clone)]
struct AppState(Arc<Inner>);

impl AppState {
    /// The provider's metadata and the client, discovered once.
    async fn provider(&self) -> Result<&(Client, ProviderMetadataWithLogout), String> {
        self.0
            .provider
            .get_or_try_init(|| async {
                let c = &self.0.config;
                let issuer = IssuerUrl::new(c.issuer.clone()).map_err(|e| e.to_string())?;
                let metadata = ProviderMetadataWithLogout::discover_async(issuer, &self.0.http)
                    .await
                    .map_err(|e| format!("discovery failed: {e}"))?;
                let redirect = RedirectUrl::new(format!("{}/callback", c.base_url))
                    .map_err(|e| e.to_string())?;
                let client = CoreClient::from_provider_metadata(
                    metadata.clone(),
                    ClientId::new(c.client_id.clone()),
                    Some(ClientSecret::new(c.client_secret.clone())),
                )
                .set_redirect_uri(redirect);
                Ok((client, metadata))
            })
            .await
    }

    fn visits(&self) -> std::sync::MutexGuard<'_, HashMap<String, Visit>> {
        self.0.visits.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The application's routes: `/`, `/sign-in`, `/callback`, `/sign-out`.
pub fn app(config: Config) -> Result<Router, String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let state = AppState(Arc::new(Inner {
        config,
        http,
        provider: tokio::sync::OnceCell::new(),
        visits: Mutex::new(HashMap::new()),
        service_token: tokio::sync::Mutex::new(None),
    }));
    Ok(Router::new()
        .route("/", get(page::home))
        .route("/sign-in", get(sign_in::start))
        .route("/callback", get(sign_in::callback))
        .route("/sign-out", post(sign_in::sign_out))
        .with_state(state))
}
