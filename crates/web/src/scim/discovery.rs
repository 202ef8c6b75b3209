//! What the service supports (RFC 7644 §4), rendered from the same tables the behaviour
//! reads.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_domain::scim::MAX_COUNT;
use gatehouse_domain::scim::schema::{self, ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};
use serde_json::{Value, json};

use super::Scim;
use super::error::ScimError;
use super::io::scim_json;
use crate::state::AppState;

const LIST: &str = schema::LIST_SCHEMA;

fn list(resources: Vec<Value>) -> Response {
    scim_json(
        StatusCode::OK,
        &json!({
            "schemas": [LIST],
            "totalResults": resources.len(),
            "startIndex": 1,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    )
}

pub(super) async fn service_provider_config(State(s): State<AppState>, _: Scim) -> Response {
    let base = s.gatehouse.scim_base();
    scim_json(
        StatusCode::OK,
        &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": "https://github.com/gatehouse/gatehouse#provisioning-scim",
            "patch": { "supported": true },
            "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
            "filter": { "supported": true, "maxResults": MAX_COUNT },
            "changePassword": { "supported": false },
            "sort": { "supported": true },
            "etag": { "supported": true },
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A Gatehouse API key, or an application's client-credentials access token, holding scim.provision",
                "primary": true,
            }],
            "meta": { "resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig") },
        }),
    )
}

fn resource_type_docs(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User", "name": "User", "endpoint": "/Users",
            "description": "A Gatehouse user; userName is the email",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{ "schema": ENTERPRISE_SCHEMA, "required": false }],
            "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User") },
        }),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group", "name": "Group", "endpoint": "/Groups",
            "description": "A Gatehouse group's membership",
            "schema": GROUP_SCHEMA,
            "schemaExtensions": [],
            "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group") },
        }),
    ]
}

pub(super) async fn resource_types(State(s): State<AppState>, _: Scim) -> Response {
    list(resource_type_docs(&s.gatehouse.scim_base()))
}

pub(super) async fn resource_type(
    State(s): State<AppState>,
    _: Scim,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    resource_type_docs(&s.gatehouse.scim_base())
        .into_iter()
        .find(|d| d["id"] == id.as_str())
        .map(|d| scim_json(StatusCode::OK, &d))
        .ok_or_else(|| ScimError::not_found("no such resource type"))
}

pub(super) async fn schemas(State(s): State<AppState>, _: Scim) -> Response {
    list(schema::schemas(&s.gatehouse.scim_base()))
}

pub(super) async fn schema(
    State(s): State<AppState>,
    _: Scim,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    schema::schemas(&s.gatehouse.scim_base())
        .into_iter()
        .find(|d| d["id"] == id.as_str())
        .map(|d| scim_json(StatusCode::OK, &d))
        .ok_or_else(|| ScimError::not_found("no such schema"))
}
