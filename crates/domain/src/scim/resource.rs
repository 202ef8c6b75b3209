//! SCIM documents in and out: reading what a client sends into the attributes Gatehouse
//! keeps (names matched case-insensitively, unknown attributes dropped, Entra's `"True"`
//! booleans read as booleans), and the projections `attributes`/`excludedAttributes` ask for.

use serde_json::{Map, Value, json};

use super::eval::get_ci;
use super::filter::AttrPath;
use super::schema::{Attr, ENTERPRISE, ENTERPRISE_SCHEMA, Mutability, Resource, Type, USER};
use crate::error::{Error, Result};
use crate::types::{DisplayName, Email};

/// What Gatehouse keeps of a provisioned user besides the account: the client's id and
/// the attributes of the schemas that do not map onto the account (name parts, title,
/// email list, enterprise extension), as sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScimUserExtras {
    pub external_id: Option<String>,
    /// A JSON object of canonically named attributes.
    pub attributes: Value,
}

/// A user as a client describes it, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct UserInput {
    pub email: Email,
    pub display_name: DisplayName,
    pub active: bool,
    pub extras: ScimUserExtras,
}

fn invalid(what: impl Into<String>) -> Error {
    Error::ScimInvalidValue(what.into())
}

/// A boolean as clients write it: `true`, or Entra's `"True"`.
pub fn read_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// One value of `attr`, canonically named; `None` for null (absent). Read-only parts are
/// dropped: clients echo them back.
pub fn canonical(attr: &Attr, v: &Value) -> Result<Option<Value>> {
    if v.is_null() {
        return Ok(None);
    }
    if attr.multi {
        let items = match v {
            Value::Array(items) => items.clone(),
            one => vec![one.clone()],
        };
        let single = Attr {
            multi: false,
            ..*attr
        };
        let mut out = Vec::with_capacity(items.len());
        for item in &items {
            out.extend(canonical(&single, item)?);
        }
        return Ok((!out.is_empty()).then_some(Value::Array(out)));
    }
    Ok(Some(match attr.kind {
        Type::Boolean => Value::Bool(
            read_bool(v).ok_or_else(|| invalid(format!("{} must be true or false", attr.name)))?,
        ),
        Type::Complex => {
            let Value::Object(obj) = v else {
                return Err(invalid(format!("{} must be an object", attr.name)));
            };
            let mut out = Map::new();
            for (key, value) in obj {
                let Some(sub) = attr.sub.iter().find(|s| s.name.eq_ignore_ascii_case(key)) else {
                    continue;
                };
                if sub.mutability == Mutability::ReadOnly {
                    continue;
                }
                if let Some(value) = canonical(sub, value)? {
                    out.insert(sub.name.to_owned(), value);
                }
            }
            if out.is_empty() {
                return Ok(None);
            }
            Value::Object(out)
        }
        Type::String | Type::DateTime | Type::Reference => match v {
            Value::String(_) => v.clone(),
            Value::Number(n) => Value::String(n.to_string()),
            Value::Bool(b) => Value::String(b.to_string()),
            _ => return Err(invalid(format!("{} must be a string", attr.name))),
        },
    }))
}

/// The writable attributes of `defs` in `obj`, canonically named.
fn canonical_object(defs: &[Attr], obj: &Map<String, Value>) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    for (key, value) in obj {
        let Some(def) = defs.iter().find(|d| d.name.eq_ignore_ascii_case(key)) else {
            continue;
        };
        if def.mutability == Mutability::ReadOnly {
            continue;
        }
        if let Some(value) = canonical(def, value)? {
            out.insert(def.name.to_owned(), value);
        }
    }
    Ok(out)
}

/// Reads a User document (create, PUT): without a displayName, the name makes one.
pub fn read_user(doc: &Value) -> Result<UserInput> {
    read(doc, true)
}

/// Reads the result of a PATCH: a displayName removed stays removed.
pub fn read_patched_user(doc: &Value) -> Result<UserInput> {
    read(doc, false)
}

/// At most one value of a multi-valued attribute is primary (RFC 7643 §2.4): the last one
/// marked wins, as a PATCH that adds a new primary value means.
pub fn one_primary(values: &mut [Value]) {
    let Some(last) = values
        .iter()
        .rposition(|v| v.get("primary") == Some(&Value::Bool(true)))
    else {
        return;
    };
    for (i, v) in values.iter_mut().enumerate() {
        if i != last
            && let Some(o) = v.as_object_mut()
            && o.contains_key("primary")
        {
            o.insert("primary".into(), Value::Bool(false));
        }
    }
}

fn read(doc: &Value, derive_display: bool) -> Result<UserInput> {
    let Value::Object(obj) = doc else {
        return Err(Error::ScimInvalidSyntax(
            "a User must be a JSON object".into(),
        ));
    };
    if obj.keys().any(|k| k.eq_ignore_ascii_case("password")) {
        return Err(Error::ScimMutability(
            "password is never accepted: Gatehouse users set their own".into(),
        ));
    }
    let mut attrs = canonical_object(USER, obj)?;
    if let Some(Value::Object(ext)) = obj
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(ENTERPRISE_SCHEMA))
        .map(|(_, v)| v)
    {
        let ext = canonical_object(ENTERPRISE, ext)?;
        if !ext.is_empty() {
            attrs.insert(ENTERPRISE_SCHEMA.to_owned(), Value::Object(ext));
        }
    }
    if let Some(Value::Array(emails)) = attrs.get_mut("emails") {
        one_primary(emails);
    }
    let user_name = match attrs.remove("userName") {
        Some(Value::String(s)) => s,
        _ => return Err(invalid("userName is required")),
    };
    let email = Email::parse(&user_name).map_err(|e| invalid(format!("userName: {e}")))?;
    let active = match attrs.remove("active") {
        Some(Value::Bool(b)) => b,
        _ => true,
    };
    let given_display = attrs.remove("displayName");
    let name = attrs.get("name");
    let display = match given_display {
        Some(Value::String(s)) => s,
        _ if !derive_display => String::new(),
        _ => name
            .and_then(|n| n.get("formatted"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| {
                let part = |k| name.and_then(|n| n.get(k)).and_then(Value::as_str);
                [part("givenName"), part("familyName")]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
    };
    let display_name =
        DisplayName::parse(&display).map_err(|e| invalid(format!("displayName: {e}")))?;
    let external_id = match get_ci(doc, "externalId") {
        Some(Value::String(s)) => Some(s.clone()),
        None | Some(Value::Null) => None,
        Some(_) => return Err(invalid("externalId must be a string")),
    };
    attrs.remove("externalId");
    Ok(UserInput {
        email,
        display_name,
        active,
        extras: ScimUserExtras {
            external_id,
            attributes: Value::Object(attrs),
        },
    })
}

/// What a list or a get returns of each resource.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    pub attributes: Vec<AttrPath>,
    pub excluded: Vec<AttrPath>,
}

impl Projection {
    /// Reads the comma-separated `attributes` and `excludedAttributes` parameters.
    pub fn parse(attributes: Option<&str>, excluded: Option<&str>) -> Result<Self> {
        let list = |raw: Option<&str>| -> Result<Vec<AttrPath>> {
            raw.unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    super::filter::parse_attr_path(s)
                        .ok_or_else(|| invalid(format!("{s} is not an attribute path")))
                })
                .collect()
        };
        Ok(Self {
            attributes: list(attributes)?,
            excluded: list(excluded)?,
        })
    }

    /// Whether the answer includes `name` (a top-level core attribute): to skip work, such
    /// as reading a large group's members, that nobody asked for.
    pub fn wants(&self, name: &str) -> bool {
        let named = |p: &AttrPath| p.name.eq_ignore_ascii_case(name) && p.sub.is_none();
        if self.excluded.iter().any(named) {
            return false;
        }
        self.attributes.is_empty()
            || self
                .attributes
                .iter()
                .any(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Applies the projection to a rendered resource. `id` and `schemas` always stay.
    pub fn apply(&self, resource: Resource, mut doc: Value) -> Value {
        let Value::Object(obj) = &mut doc else {
            return doc;
        };
        let locate = |p: &AttrPath| -> Option<(Option<&'static str>, &'static str)> {
            resource
                .find(p.uri.as_deref(), &p.name)
                .map(|(uri, attr)| (uri, attr.name))
        };
        if !self.attributes.is_empty() {
            let mut kept = Map::new();
            for key in ["schemas", "id"] {
                if let Some(v) = obj.remove(key) {
                    kept.insert(key.to_owned(), v);
                }
            }
            for p in &self.attributes {
                let Some((uri, name)) = locate(p) else {
                    continue;
                };
                let holder = match uri {
                    None => Some(&*obj),
                    Some(u) => obj.get(u).and_then(Value::as_object),
                };
                let Some(value) = holder.and_then(|h| h.get(name)) else {
                    continue;
                };
                let value = match &p.sub {
                    Some(sub) => only_sub(value, sub),
                    None => value.clone(),
                };
                let target = match uri {
                    None => &mut kept,
                    Some(u) => match kept
                        .entry(u.to_owned())
                        .or_insert_with(|| json!({}))
                        .as_object_mut()
                    {
                        Some(m) => m,
                        None => continue,
                    },
                };
                merge_into(target, name, value);
            }
            *obj = kept;
        }
        for p in &self.excluded {
            let Some((uri, name)) = locate(p) else {
                continue;
            };
            if name == "id" {
                continue;
            }
            let holder = match uri {
                None => Some(&mut *obj),
                Some(u) => obj.get_mut(u).and_then(Value::as_object_mut),
            };
            let Some(holder) = holder else { continue };
            match &p.sub {
                None => {
                    holder.remove(name);
                }
                Some(sub) => drop_sub(holder.get_mut(name), sub),
            }
        }
        doc
    }
}

fn only_sub(value: &Value, sub: &str) -> Value {
    let pick = |v: &Value| {
        let mut m = Map::new();
        if let Some((k, x)) = v
            .as_object()
            .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(sub)))
        {
            m.insert(k.clone(), x.clone());
        }
        Value::Object(m)
    };
    match value {
        Value::Array(items) => Value::Array(items.iter().map(pick).collect()),
        other => pick(other),
    }
}

fn drop_sub(value: Option<&mut Value>, sub: &str) {
    let drop = |v: &mut Value| {
        if let Some(o) = v.as_object_mut() {
            o.retain(|k, _| !k.eq_ignore_ascii_case(sub));
        }
    };
    match value {
        Some(Value::Array(items)) => items.iter_mut().for_each(drop),
        Some(other) => drop(other),
        None => {}
    }
}

/// Puts `value` at `name`, merging with what an earlier sub-attribute put there.
fn merge_into(target: &mut Map<String, Value>, name: &str, value: Value) {
    match (target.get_mut(name), value) {
        (Some(Value::Object(have)), Value::Object(more)) => have.extend(more),
        (Some(Value::Array(have)), Value::Array(more)) if have.len() == more.len() => {
            for (h, m) in have.iter_mut().zip(more) {
                if let (Some(h), Value::Object(m)) = (h.as_object_mut(), m) {
                    h.extend(m);
                }
            }
        }
        (_, value) => {
            target.insert(name.to_owned(), value);
        }
    }
}
