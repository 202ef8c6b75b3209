//! The OpenAPI 3.1 document: generated from the handlers' annotations, then completed with
//! what the derive cannot state — how to authenticate (`security`), the answers every route
//! may give with the registry of error codes (`responses`), and the rules that depend on the
//! deployment's permission catalog or join several fields (`rules`). The served document is
//! the deployment's; [`openapi_json`] is the one of the built-in catalog, under a snapshot test.

mod responses;
mod rules;
mod security;

use gatehouse_domain::catalog::Catalog;
use serde_json::Value;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Gatehouse API", description = "User & access management for multi-tenant SaaS dashboards.\n\n\
        Every error answer has the shape `{\"error\":{\"code\",\"message\",\"details\"}}`; the codes, \
        their statuses and meanings are listed in `x-error-codes` of `ErrorDetail.code`. Request bodies \
        are JSON objects; numbers such as `3.0` count as the integer they equal."),
    components(schemas(crate::error::ErrorBody, gatehouse_domain::store::UserSort)),
    tags(
        (name = "operator", description = "Businesses and tenants; operator token only"),
        (name = "users", description = "Users of the caller's business"),
        (name = "groups", description = "Groups and memberships"),
        (name = "api-keys", description = "API keys of the caller's business"),
        (name = "applications", description = "OpenID Connect applications (clients) of the caller's business"),
        (name = "audit", description = "The audit trail and its hash chain"),
        (name = "webhooks", description = "Webhook endpoints, their secrets and deliveries"),
        (name = "catalog", description = "Permissions and tenants"),
        (name = "authz", description = "Access decisions and effective permissions"),
        (name = "settings", description = "Security settings of the business"),
        (name = "access-reviews", description = "Access reviews (certifications), their reports and schedules"),
        (name = "access-health", description = "Best-practice findings, score and history"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub(crate) struct ApiDoc;

/// The document of a deployment: its permission catalog and whether its cookies are `Secure`
/// (which names the session cookie).
pub(crate) fn document(
    generated: &utoipa::openapi::OpenApi,
    catalog: &Catalog,
    cookie_secure: bool,
) -> Value {
    let Ok(mut doc) = serde_json::to_value(generated) else {
        return Value::Null;
    };
    security::declare(&mut doc, cookie_secure);
    responses::declare(&mut doc);
    rules::declare(&mut doc, catalog);
    doc
}

/// Every API operation of the document: `(path, method, operation)`.
fn operations(doc: &mut Value) -> impl Iterator<Item = (&str, &str, &mut Value)> {
    doc.get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.iter_mut())
        .filter(|(path, _)| path.starts_with("/api/"))
        .flat_map(|(path, item)| {
            item.as_object_mut()
                .into_iter()
                .flat_map(|methods| methods.iter_mut())
                .map(move |(method, op)| (path.as_str(), method.as_str(), op))
        })
}

/// A named schema of `components.schemas`, for completing it.
fn schema<'a>(doc: &'a mut Value, name: &str) -> Option<&'a mut serde_json::Map<String, Value>> {
    doc.pointer_mut(&format!("/components/schemas/{name}"))
        .and_then(Value::as_object_mut)
}

/// The document with the built-in catalog and `Secure` cookies, as pretty JSON (the served
/// one, `/api/v1/openapi.json`, is the deployment's; this one is kept under a snapshot test).
pub fn openapi_json() -> String {
    let (_, generated) = crate::handlers::api_routes().split_for_parts();
    let doc = document(&generated, &Catalog::default(), true);
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}
