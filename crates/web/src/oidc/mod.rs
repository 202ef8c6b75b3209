//! The OpenID Provider over HTTP, one issuer per business (`{public_url}/b/{slug}`). Here:
//! the public documents, answered from memory — discovery (at the issuer's
//! `/.well-known/openid-configuration` and at the RFC 8414 address for an issuer with a
//! path) and the JWKS. The flows' endpoints (`/b/{slug}/oauth2/…`) join this router.

mod documents;

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
}
