//! Validated values. Raw strings from the edge become these types once; inside the domain no
//! unchecked string stands in for an email, a slug or a name.

mod email;
mod environment;
mod names;
mod slug;

pub use email::Email;
pub use environment::Environment;
pub use names::{
    ApiKeyName, ApplicationName, BusinessName, Description, DisplayName, GroupName, TenantName,
};
pub use slug::Slug;

/// Implements the boilerplate shared by string newtypes: `as_str`, `Display`, `Serialize`,
/// `Deserialize` through `parse`, and an OpenAPI string schema: `$schema`, which states the
/// rules of `parse` next to it, so that the API description tells what `parse` accepts.
macro_rules! string_newtype {
    ($ty:ident, $schema:expr) => {
        impl $ty {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                $ty::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let schema: utoipa::openapi::ObjectBuilder = $schema;
                schema.into()
            }
        }
        impl utoipa::ToSchema for $ty {}
    };
}
pub(crate) use string_newtype;

/// A string schema with a pattern and a description.
pub(crate) fn text_schema(pattern: &str, description: &str) -> utoipa::openapi::ObjectBuilder {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(pattern))
        .description(Some(description))
}
