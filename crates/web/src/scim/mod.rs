//! SCIM 2.0 under `/scim/v2`: the business is the credential's (an API key, or an
//! application's client-credentials token, holding `scim.provision`). Every request is
//! authenticated and authorized once, here, and logged for the dashboard's Provisioning
//! page; handlers take the capability from the request. Not in the OpenAPI document: SCIM
//! describes itself (`/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`).

mod discovery;
mod error;
mod groups;
mod io;
mod users;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use gatehouse_domain::principal::{BusinessAccess, Principal, ScimProvision};
use gatehouse_domain::scim::ScimRequest;

use crate::state::AppState;
pub use error::ScimError;

/// The capability of the request, put there by [`authenticate`].
#[derive(Debug, Clone)]
pub struct Scim(pub BusinessAccess<ScimProvision>);

impl<S: Send + Sync> FromRequestParts<S> for Scim {
    type Rejection = ScimError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Scim>()
            .cloned()
            .ok_or_else(|| ScimError::new(StatusCode::UNAUTHORIZED, None, "no credential"))
    }
}

pub(crate) fn routes(state: AppState) -> Router<AppState> {
    let api = Router::new()
        .route(
            "/ServiceProviderConfig",
            get(discovery::service_provider_config),
        )
        .route("/ResourceTypes", get(discovery::resource_types))
        .route("/ResourceTypes/{id}", get(discovery::resource_type))
        .route("/Schemas", get(discovery::schemas))
        .route("/Schemas/{id}", get(discovery::schema))
        .route("/Users", get(users::list_users).post(users::create_user))
        .route("/Users/.search", axum::routing::post(users::search_users))
        .route(
            "/Users/{id}",
            get(users::get_user)
                .put(users::replace_user)
                .patch(users::patch_user)
                .delete(users::delete_user),
        )
        .route(
            "/Groups",
            get(groups::list_groups).post(groups::create_group),
        )
        .route(
            "/Groups/.search",
            axum::routing::post(groups::search_groups),
        )
        .route("/.search", axum::routing::post(groups::search_everything))
        .route(
            "/Groups/{id}",
            get(groups::get_group)
                .put(groups::replace_group)
                .patch(groups::patch_group)
                .delete(groups::delete_group),
        )
        .fallback(|| async { ScimError::not_found("no such SCIM endpoint") })
        .method_not_allowed_fallback(|| async {
            ScimError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                None,
                "this endpoint does not take that method",
            )
        })
        .layer(axum::middleware::from_fn_with_state(state, authenticate));
    Router::new().nest("/scim/v2", api)
}

/// Authenticates the credential, requires `scim.provision`, runs the request and logs it.
async fn authenticate(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let principal = match Principal::from_request_parts(&mut parts, &s).await {
        Ok(p) => p,
        Err(e) => return ScimError::from(e).into_response(),
    };
    let method = parts.method.to_string();
    // The path as sent (inside the nested router, `uri` lacks `/scim/v2`).
    let path = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| parts.uri.path(), |u| u.0.path())
        .chars()
        .take(300)
        .collect::<String>();
    let actor = principal.actor().label;
    let (business, response) = match principal.authorize::<ScimProvision>() {
        Ok(access) => {
            let business = access.business_id();
            parts.extensions.insert(Scim(access));
            (business, next.run(Request::from_parts(parts, body)).await)
        }
        // A credential of the business without the permission: shown on its page too.
        Err(e) => match principal.business_id() {
            Some(business) => (business, ScimError::from(e).into_response()),
            None => return ScimError::from(e).into_response(),
        },
    };
    let entry = ScimRequest {
        at: s.gatehouse.now(),
        actor,
        method,
        path,
        status: response.status().as_u16(),
        error: response
            .extensions()
            .get::<error::Refusal>()
            .map(|r| r.0.chars().take(500).collect()),
    };
    s.gatehouse.record_scim_request(business, &entry).await;
    response
}
