//! The OpenID Provider over HTTP, one issuer per business (`{public_url}/b/{slug}`). Here:
//! the public documents, answered from memory — discovery (at the issuer's
//! `/.well-known/openid-configuration` and at the RFC 8414 address for an issuer with a
//! path) and the JWKS. And the flows: the authorization pages, the token, userinfo, introspection,
//! revocation and end-session endpoints (`/b/{slug}/oauth2/…`), and the back-channel logout
//! transport.

pub(crate) mod authorize;
mod backchannel;
mod documents;
mod endpoints;
mod flows;
mod logout;

pub use backchannel::HttpLogoutTransport;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

/// The routes of the provider.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/b/{slug}/.well-known/openid-configuration",
            get(documents::discovery),
        )
        .route(
            "/.well-known/oauth-authorization-server/b/{slug}",
            get(documents::discovery),
        )
        .route("/b/{slug}/oauth2/jwks", get(documents::jwks))
        .merge(flows::routes())
}
