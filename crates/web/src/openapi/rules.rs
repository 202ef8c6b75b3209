//! Rules the derive cannot write: the permission keys of the deployment's catalog (per
//! scope, and which of them are sensitive), rules that join fields (a tenants group names
//! tenants and grants no business permission; an environment permission is checked in a tenant
//! and an environment; sensitive grants are acknowledged), and optional bodies, which may be
//! absent but are never `null`.

use gatehouse_domain::catalog::{Catalog, PermissionScope};
use serde_json::{Value, json};

use super::{operations, schema};

pub(super) fn declare(doc: &mut Value, catalog: &Catalog) {
    let keys = Keys::of(catalog);
    grants(doc, &keys);
    check(doc, &keys);
    who_can(doc, &keys);
    for body in ["NewGroupBody", "NewApiKeyBody"] {
        add_rule(doc, body, sensitive_acknowledged(&keys, "permissions"));
    }
    for body in ["NewApplicationBody", "ApplicationPatchBody"] {
        add_rule(
            doc,
            body,
            sensitive_acknowledged(&keys, "service_permissions"),
        );
    }
    add_rule(doc, "NewGroupBody", group_kind());
    for rule in application_grants() {
        add_rule(doc, "NewApplicationBody", rule);
    }
    optional_bodies(doc);
}

struct Keys {
    business: Vec<String>,
    environment: Vec<String>,
    sensitive_business: Vec<String>,
    sensitive_environment: Vec<String>,
}

impl Keys {
    fn of(catalog: &Catalog) -> Self {
        let of = |scope: PermissionScope, sensitive_only: bool| {
            catalog
                .iter()
                .filter(|p| p.scope == scope && (p.sensitive || !sensitive_only))
                .map(|p| p.key.to_string())
                .collect::<Vec<_>>()
        };
        Self {
            business: of(PermissionScope::Business, false),
            environment: of(PermissionScope::Environment, false),
            sensitive_business: of(PermissionScope::Business, true),
            sensitive_environment: of(PermissionScope::Environment, true),
        }
    }

    fn all(&self) -> Vec<String> {
        let mut all = [self.business.clone(), self.environment.clone()].concat();
        all.sort();
        all
    }
}

fn key_enum(keys: &[String]) -> Value {
    json!({ "type": "string", "enum": keys })
}

/// `Grants`: business keys in `business`, environment keys in `live` and `sandbox`.
fn grants(doc: &mut Value, keys: &Keys) {
    let Some(grants) = schema(doc, "Grants") else {
        return;
    };
    for (field, allowed) in [
        ("business", &keys.business),
        ("live", &keys.environment),
        ("sandbox", &keys.environment),
    ] {
        if let Some(property) = grants.get_mut("properties").and_then(|p| p.get_mut(field)) {
            property["items"] = key_enum(allowed);
        }
    }
}

/// `CheckBody`: a key of an environment permission needs `tenant_id` and `environment`. Any
/// other string is a question too: one the catalog does not know is denied
/// (`permission_unknown`), so the field is not limited to the catalog's keys.
fn check(doc: &mut Value, keys: &Keys) {
    let Some(body) = schema(doc, "CheckBody") else {
        return;
    };
    body.insert(
        "if".to_owned(),
        json!({ "properties": { "permission": key_enum(&keys.environment) } }),
    );
    body.insert(
        "then".to_owned(),
        json!({
            "required": ["tenant_id", "environment"],
            "properties": {
                "tenant_id": { "type": "string" },
                "environment": { "type": "string" }
            }
        }),
    );
}

/// `GET /authz/who-can`: the `permission` parameter is a key of the catalog.
fn who_can(doc: &mut Value, keys: &Keys) {
    for (path, _, op) in operations(doc) {
        if path != "/api/v1/authz/who-can" {
            continue;
        }
        let params = op.get_mut("parameters").and_then(Value::as_array_mut);
        for param in params.into_iter().flatten() {
            if param["name"] == "permission" {
                param["schema"] = key_enum(&keys.all());
            }
        }
    }
}

/// Granting a sensitive permission (in the grant set `field`) needs
/// `acknowledge_sensitive: true`.
fn sensitive_acknowledged(keys: &Keys, field: &str) -> Value {
    let holds = |field: &str, sensitive: &[String]| json!({ "required": [field], "properties": { field: { "contains": key_enum(sensitive) } } });
    json!({
        "if": {
            "required": [field],
            "properties": { field: { "anyOf": [
                holds("business", &keys.sensitive_business),
                holds("live", &keys.sensitive_environment),
                holds("sandbox", &keys.sensitive_environment),
            ] } }
        },
        "then": {
            "required": ["acknowledge_sensitive"],
            "properties": { "acknowledge_sensitive": { "const": true } }
        }
    })
}

/// A tenants group names at least one tenant and grants no business permission; a business
/// group covers every tenant and names none.
fn group_kind() -> Value {
    json!({
        "if": { "properties": { "type": { "const": "tenants" } } },
        "then": {
            "required": ["tenant_ids"],
            "properties": {
                "tenant_ids": { "minItems": 1 },
                "permissions": { "properties": { "business": { "maxItems": 0 } } }
            }
        },
        "else": { "properties": { "tenant_ids": { "maxItems": 0 } } }
    })
}

/// A new application's grant types fit its client type and addresses (absent, they are
/// `authorization_code` and `refresh_token`): `client_credentials` for confidential clients
/// only, and only it brings service permissions; `refresh_token` with `authorization_code`,
/// which needs a redirect URI.
fn application_grants() -> [Value; 4] {
    let has = |grant: &str| json!({ "contains": { "const": grant } });
    let given = |grants: Value| json!({ "required": ["grant_types"], "properties": { "grant_types": grants } });
    [
        json!({
            "if": { "properties": { "client_type": { "const": "public" } } },
            "then": { "properties": { "grant_types": { "not": has("client_credentials") } } }
        }),
        json!({
            "if": given(has("refresh_token")),
            "then": { "properties": { "grant_types": has("authorization_code") } }
        }),
        json!({
            "if": given(json!({ "not": has("authorization_code") })),
            "else": {
                "required": ["redirect_uris"],
                "properties": { "redirect_uris": { "minItems": 1 } }
            }
        }),
        json!({
            "if": given(has("client_credentials")),
            "else": { "properties": { "service_permissions": { "type": "null" } } }
        }),
    ]
}

/// Adds `rule` to the `allOf` of a named schema.
fn add_rule(doc: &mut Value, name: &str, rule: Value) {
    let Some(body) = schema(doc, name) else {
        return;
    };
    match body.get_mut("allOf").and_then(Value::as_array_mut) {
        Some(rules) => rules.push(rule),
        None => {
            body.insert("allOf".to_owned(), json!([rule]));
        }
    }
}

/// A body declared as `Option<T>` is optional — it may be absent — but `null` is no object.
fn optional_bodies(doc: &mut Value) {
    for (_, _, op) in operations(doc) {
        let Some(body) = op.get_mut("requestBody") else {
            continue;
        };
        let Some(schema) = body.pointer_mut("/content/application~1json/schema") else {
            continue;
        };
        let Some(choices) = schema.get("oneOf").and_then(Value::as_array) else {
            continue;
        };
        let (nulls, objects): (Vec<&Value>, Vec<&Value>) =
            choices.iter().partition(|c| c["type"] == "null");
        if let ([_], [object]) = (nulls.as_slice(), objects.as_slice()) {
            *schema = (*object).clone();
            body["required"] = json!(false);
        }
    }
}
