//! Gatehouse as an OpenID Provider, driven by a widely used relying-party library (the
//! `openidconnect` crate) against a real server on both backends: discovery, the sign-in
//! pages (password and TOTP), the code exchange, ID token validation, userinfo, refresh
//! rotation and reuse detection, RP-initiated and back-channel logout; and the refusals
//! the specifications ask for.

mod documents;
pub mod flow;
mod more;
mod prompts;
mod refusals;
mod service;

use std::sync::{Arc, Mutex};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::browser::{Browser, Resp};
use crate::helpers::{App, Fixture};
use crate::invitations::PW;
use crate::sessions::live_group;

/// Where the test applications say they return; nothing listens there (the tests read the
/// redirect's `Location`).
pub const CB: &str = "http://127.0.0.1:9/callback";
pub const AFTER_LOGOUT: &str = "http://127.0.0.1:9/signed-out";

pub type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// An HTTP client for the library: it must not follow redirects (the library's rule).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn issuer(app: &App) -> String {
    format!("{}/b/acme", app.base)
}

/// A business with Dana (a member of a Live group), signed up with a password and enrolled
/// in TOTP; returns the fixture and her TOTP secret.
pub async fn dana(app: &App) -> (Fixture, Vec<u8>) {
    let f = app.fixture("acme").await;
    let live = live_group(app, &f).await;
    app.invite(&f.admin_key, "dana@example.com", &[&live]).await;
    let (mut b, res) = app.accept("dana@example.com", PW, 1).await;
    assert_eq!(res.location(), "/b/acme/mfa/enrol", "{}", res.body);
    let (secret, _) = b.enrol("acme").await;
    (f, secret)
}

/// Registers an application; returns its `client_id` and secret (confidential).
pub async fn register(app: &App, f: &Fixture, extra: Value) -> (String, Option<String>) {
    let mut body = json!({
        "name": "Portal",
        "client_type": "confidential",
        "first_party": true,
        "redirect_uris": [CB],
        "post_logout_redirect_uris": [AFTER_LOGOUT],
        "allowed_scopes": ["openid", "profile", "email", "offline_access", "gatehouse:access"],
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, created) = app.post("/api/v1/applications", &f.admin_key, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["application"]["client_id"]
        .as_str()
        .or_else(|| created["client_id"].as_str())
        .unwrap_or_else(|| panic!("no client_id in {created}"))
        .to_owned();
    let secret = created["client_secret"].as_str().map(str::to_owned);
    (id, secret)
}

/// The relying party: discovery, then a client of `client_id`.
pub async fn relying_party(app: &App, client_id: &str, secret: Option<&str>) -> Client {
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(issuer(app)).unwrap(), &http())
            .await
            .unwrap();
    CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client_id.to_owned()),
        secret.map(|s| ClientSecret::new(s.to_owned())),
    )
    .set_redirect_uri(RedirectUrl::new(CB.to_owned()).unwrap())
}

/// A started authorization request: where to send the browser, and what to check after.
pub struct Started {
    pub url: String,
    pub state: CsrfToken,
    pub nonce: Nonce,
    pub verifier: PkceCodeVerifier,
}

pub fn start(rp: &Client, scopes: &[&str]) -> Started {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut req = rp.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for s in scopes {
        req = req.add_scope(Scope::new((*s).to_owned()));
    }
    let (url, state, nonce) = req.set_pkce_challenge(challenge).url();
    Started {
        url: url.to_string(),
        state,
        nonce,
        verifier,
    }
}

/// Posts the form of `page` to its `action`, with its hidden fields and `fields`.
pub async fn post_form(
    b: &mut Browser<'_>,
    page: &Resp,
    action: &str,
    fields: &[(&str, &str)],
) -> Resp {
    let mut all: Vec<(String, String)> = ["csrf", "next", "mfa", "request"]
        .iter()
        .filter_map(|n| page.input(n).map(|v| ((*n).to_owned(), v)))
        .collect();
    all.extend(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let refs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post(action, &refs).await
}

/// The path of a `Location` on this server (drops the base when absolute).
pub fn path_of<'a>(app: &App, location: &'a str) -> &'a str {
    location.strip_prefix(app.base.as_str()).unwrap_or(location)
}

/// Follows the browser from the authorization request through the sign-in pages (password,
/// then TOTP when asked) to the redirect back to the client; returns that `Location`.
pub async fn sign_in_through(app: &App, b: &mut Browser<'_>, url: &str, secret: &[u8]) -> String {
    let mut res = b.get(path_of(app, url)).await;
    for _ in 0..8 {
        if res.status != StatusCode::SEE_OTHER {
            panic!("stuck at {}: {}", res.status, res.body);
        }
        let to = res.location().to_owned();
        if to.starts_with(CB) {
            return to;
        }
        let path = path_of(app, &to).to_owned();
        let page = b.get(&path).await;
        let action = path.split('?').next().unwrap().to_owned();
        res = if action.ends_with("/sign-in") {
            post_form(
                b,
                &page,
                &action,
                &[("email", "dana@example.com"), ("password", PW)],
            )
            .await
        } else if action.ends_with("/mfa") {
            // Each TOTP step is accepted once: move on to a step not used yet.
            app.clock.advance(time::Duration::seconds(30));
            let code = app.totp(secret, 0);
            post_form(b, &page, &action, &[("code", &code)]).await
        } else {
            page
        };
    }
    panic!("too many redirects")
}

/// The query parameters of a URL.
pub fn query(url: &str) -> std::collections::BTreeMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Exchanges a code with the library.
pub async fn exchange(
    rp: &Client,
    code: &str,
    verifier: PkceCodeVerifier,
) -> Result<
    openidconnect::core::CoreTokenResponse,
    openidconnect::RequestTokenError<
        openidconnect::HttpClientError<reqwest::Error>,
        openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    >,
> {
    rp.exchange_code(AuthorizationCode::new(code.to_owned()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
}

/// The library's ID token verifier for our tokens (ES256 by default), at the test clock's
/// time (so `exp` and `iat` are checked against the time the server signed at).
pub fn id_verifier<'a>(app: &App, rp: &'a Client) -> openidconnect::core::CoreIdTokenVerifier<'a> {
    let clock = app.clock.clone();
    rp.id_token_verifier()
        .set_allowed_algs(vec![
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        ])
        .set_time_fn(move || {
            use gatehouse_domain::Clock;
            chrono::DateTime::from_timestamp(clock.now().unix_timestamp(), 0).unwrap()
        })
}

/// What a local back-channel logout endpoint received.
#[derive(Clone, Default)]
pub struct Received(pub Arc<Mutex<Vec<String>>>);

/// A back-channel logout endpoint on a free port; returns its URI.
pub async fn backchannel_listener(received: Received) -> String {
    use axum::routing::post;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route(
        "/bc",
        post(move |body: axum::body::Bytes| {
            let received = received.clone();
            async move {
                let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap();
                let token = form
                    .into_iter()
                    .find(|(k, _)| k == "logout_token")
                    .map(|(_, v)| v)
                    .unwrap_or_default();
                received.0.lock().unwrap().push(token);
                StatusCode::OK
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://127.0.0.1:{port}/bc")
}

/// `value` percent-encoded for a query string.
pub fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// An authorization URL for `client_id` with `params` (no library: to send what a library
/// never would).
pub fn authorize_url(client_id: &str, params: &[(&str, &str)]) -> String {
    let mut url = format!(
        "/b/acme/oauth2/authorize?client_id={}&response_type=code&scope=openid",
        encode(client_id)
    );
    for (k, v) in params {
        url.push_str(&format!("&{k}={}", encode(v)));
    }
    url
}
