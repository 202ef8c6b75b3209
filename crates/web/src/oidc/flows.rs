//! The routes of the OpenID Connect flows, under each business's issuer (`/b/{slug}`).

use axum::Router;
use axum::routing::{get, post};

use super::{authorize, endpoints, logout};
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/b/{slug}/oauth2/authorize",
            get(authorize::authorize).post(authorize::consent),
        )
        .route("/b/{slug}/oauth2/token", post(endpoints::token))
        .route(
            "/b/{slug}/oauth2/userinfo",
            get(endpoints::userinfo).post(endpoints::userinfo),
        )
        .route("/b/{slug}/oauth2/introspect", post(endpoints::introspect))
        .route("/b/{slug}/oauth2/revoke", post(endpoints::revoke))
        .route(
            "/b/{slug}/oauth2/logout",
            get(logout::logout).post(logout::confirm_logout),
        )
}
