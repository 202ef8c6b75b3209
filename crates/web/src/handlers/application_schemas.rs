//! Schemas of the applications API's fields whose bounds are the domain's constants, so that
//! the API description states the numbers the server enforces.

use gatehouse_domain::application::{
    ACCESS_TOKEN_TTL, ID_TOKEN_TTL, LifetimeBounds, MAX_URIS, REFRESH_TOKEN_TTL,
};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};

/// A list of `item` schemas; `null` too when `nullable` (a change's "leave as it is").
fn list(item: &str, nullable: bool) -> ArrayBuilder {
    let kind = if nullable {
        SchemaType::from_iter([Type::Array, Type::Null])
    } else {
        SchemaType::Type(Type::Array)
    };
    ArrayBuilder::new()
        .schema_type(kind)
        .items(RefOr::<Schema>::Ref(
            utoipa::openapi::Ref::from_schema_name(item),
        ))
}

fn uris_schema(nullable: bool) -> ArrayBuilder {
    list("RedirectUri", nullable)
        .max_items(Some(MAX_URIS))
        .description(Some(format!(
            "Up to {MAX_URIS} addresses, each compared by exact string."
        )))
}

fn grant_types_schema(nullable: bool) -> ArrayBuilder {
    list("GrantType", nullable)
        .min_items(Some(1))
        .description(Some(
            "`client_credentials` only for confidential clients; `refresh_token` only with \
         `authorization_code`, which needs a redirect URI.",
        ))
}

pub(super) fn uri_list() -> ArrayBuilder {
    uris_schema(false)
}

pub(super) fn uri_list_or_null() -> ArrayBuilder {
    uris_schema(true)
}

pub(super) fn grant_type_list() -> ArrayBuilder {
    grant_types_schema(false)
}

pub(super) fn grant_type_list_or_null() -> ArrayBuilder {
    grant_types_schema(true)
}

fn lifetime(bounds: LifetimeBounds, what: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .minimum(Some(bounds.min))
        .maximum(Some(bounds.max))
        .description(Some(format!(
            "Lifetime of {what} in seconds, {}–{} (default {}).",
            bounds.min, bounds.max, bounds.default
        )))
}

pub(super) fn access_ttl() -> ObjectBuilder {
    lifetime(ACCESS_TOKEN_TTL, "access tokens")
}

pub(super) fn refresh_ttl() -> ObjectBuilder {
    lifetime(REFRESH_TOKEN_TTL, "refresh tokens")
}

pub(super) fn id_ttl() -> ObjectBuilder {
    lifetime(ID_TOKEN_TTL, "ID tokens")
}
