//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Gatehouse API", description = "User & access management for multi-tenant SaaS dashboards."),
    modifiers(&BearerAuth),
    components(schemas(crate::error::ErrorBody)),
    security(("bearer" = [])),
    tags(
        (name = "operator", description = "Businesses and tenants; operator token only"),
        (name = "users", description = "Users of the caller's business"),
        (name = "groups", description = "Groups and memberships"),
        (name = "api-keys", description = "API keys of the caller's business"),
        (name = "audit", description = "The audit trail"),
        (name = "catalog", description = "Permissions and tenants"),
        (name = "authz", description = "Access decisions and effective permissions"),
        (name = "settings", description = "Security settings of the business"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub(crate) struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as pretty JSON (served at `/api/v1/openapi.json`, kept under a snapshot test).
pub fn openapi_json() -> String {
    let (_, doc) = crate::handlers::api_routes().split_for_parts();
    doc.to_pretty_json().unwrap_or_default()
}
