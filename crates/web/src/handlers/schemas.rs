//! Schemas of request fields whose bounds are the domain's constants, written here so that
//! the API description states the same numbers the server enforces.

use gatehouse_domain::page::MAX_PAGE_SIZE;
use gatehouse_domain::services::MAX_GRACE_DAYS;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{KnownFormat, RefOr, Schema, SchemaFormat};

/// The most users one request may add to a group.
pub(crate) const MAX_MEMBERS_PER_REQUEST: usize = 1000;

/// `limit`: a page size.
pub(crate) fn page_limit() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
        .minimum(Some(1))
        .maximum(Some(MAX_PAGE_SIZE))
        .description(Some(format!("Page size, 1–{MAX_PAGE_SIZE} (default 50).")))
}

/// `cursor`: only what the list itself issued.
pub(crate) fn cursor() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[A-Za-z0-9_-]*$"))
        .description(Some(
            "The `next_cursor` of the previous page, with the same filters and sort. Cursors are \
             opaque and checked: any other value is refused with `invalid_cursor` (400).",
        ))
}

/// `mfa_grace_days`: absent or `null` leaves it unchanged.
pub(crate) fn grace_days() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .minimum(Some(0))
        .maximum(Some(MAX_GRACE_DAYS))
        .description(Some(format!(
            "Days a user may work before enrolling in MFA, 0–{MAX_GRACE_DAYS}."
        )))
}

/// `user_ids` of a membership change.
pub(crate) fn member_ids() -> ArrayBuilder {
    ArrayBuilder::new()
        .items(RefOr::<Schema>::from(uuid()))
        .max_items(Some(MAX_MEMBERS_PER_REQUEST))
        .description(Some(format!("Up to {MAX_MEMBERS_PER_REQUEST} user ids.")))
}

pub(crate) fn uuid() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
}
