//! PATCH (RFC 7644 §3.5.2): reading the operations (`op` in any case, as Entra capitalises
//! it) and applying them to a user as SCIM renders it. The result is read back like a PUT,
//! so a PATCH can change nothing a PUT could not; the service writes it in one transaction
//! or not at all.

use serde_json::{Map, Value};

use super::eval::matches_value;
use super::filter::{AttrPath, CompareOp, Filter, PatchPath, parse_patch_path};
pub use super::patch_read::{OpKind, PatchOp, read_patch};
use super::resource::canonical;
use super::schema::{Attr, ENTERPRISE_SCHEMA, Mutability, Resource, Type, sub_attr};
use crate::error::{Error, Result};

/// Attributes of RFC 7643's User schema that Gatehouse does not keep: operations on them
/// are accepted and have no effect (clients send them by default), unlike names nobody
/// defines, which are `invalidPath`.
const UNKEPT: &[&str] = &[
    "nickName",
    "profileUrl",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "phoneNumbers",
    "addresses",
    "ims",
    "photos",
    "entitlements",
    "roles",
    "x509Certificates",
];

/// Applies `ops` in order to a rendered User.
pub fn apply_user(doc: &mut Value, ops: &[PatchOp]) -> Result<()> {
    for op in ops {
        match &op.path {
            Some(path) => apply_at(doc, op.kind, path, op.value.as_ref())?,
            None => apply_whole(doc, op.kind, op.value.as_ref())?,
        }
    }
    Ok(())
}

/// An operation without a path: each member of the value is an attribute (or, from Entra,
/// a path such as `name.givenName`, or the extension's URI holding its attributes).
fn apply_whole(doc: &mut Value, kind: OpKind, value: Option<&Value>) -> Result<()> {
    let Some(Value::Object(obj)) = value else {
        return Err(Error::ScimInvalidValue(
            "without a path, the value must be an object".into(),
        ));
    };
    for (key, v) in obj {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if key.eq_ignore_ascii_case(ENTERPRISE_SCHEMA) {
            let Value::Object(ext) = v else {
                return Err(Error::ScimInvalidValue(
                    "the extension must be an object".into(),
                ));
            };
            for (name, v) in ext {
                let path = parse_patch_path(&format!("{ENTERPRISE_SCHEMA}:{name}"))?;
                apply_at(doc, kind, &path, Some(v))?;
            }
            continue;
        }
        let path = parse_patch_path(key)?;
        if path.attr.name.eq_ignore_ascii_case("id") && doc.get("id") == Some(v) {
            continue;
        }
        apply_at(doc, kind, &path, Some(v))?;
    }
    Ok(())
}

/// An operation on the whole enterprise extension (`path` is its URN).
fn apply_extension(doc: &mut Value, kind: OpKind, value: Option<&Value>) -> Result<()> {
    let Some(root) = doc.as_object_mut() else {
        return Err(Error::ScimInvalidSyntax("not an object".into()));
    };
    match (kind, value) {
        (OpKind::Remove, _) | (_, None) => {
            root.remove(ENTERPRISE_SCHEMA);
        }
        (_, Some(Value::Object(obj))) => {
            let ext = root
                .entry(ENTERPRISE_SCHEMA.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if kind == OpKind::Replace || !ext.is_object() {
                *ext = Value::Object(Map::new());
            }
            if let Some(ext) = ext.as_object_mut() {
                ext.extend(obj.clone());
            }
        }
        _ => {
            return Err(Error::ScimInvalidValue(
                "the extension must be an object".into(),
            ));
        }
    }
    Ok(())
}

fn is_extension(path: &PatchPath) -> bool {
    path.filter.is_none()
        && path.attr.sub.is_none()
        && path.attr.uri.as_deref().is_some_and(|u| {
            format!("{u}:{}", path.attr.name).eq_ignore_ascii_case(ENTERPRISE_SCHEMA)
        })
}

fn apply_at(doc: &mut Value, kind: OpKind, path: &PatchPath, value: Option<&Value>) -> Result<()> {
    if is_extension(path) {
        return apply_extension(doc, kind, value);
    }
    let Some((uri, attr)) = Resource::User.find(path.attr.uri.as_deref(), &path.attr.name) else {
        if path.attr.uri.is_none()
            && UNKEPT
                .iter()
                .any(|u| u.eq_ignore_ascii_case(&path.attr.name))
        {
            return Ok(());
        }
        return Err(Error::ScimInvalidPath(format!(
            "unknown attribute {}",
            path.attr.name
        )));
    };
    if attr.mutability == Mutability::ReadOnly {
        return Err(Error::ScimMutability(format!("{} is read-only", attr.name)));
    }
    let sub = match (&path.attr.sub, &path.sub) {
        (Some(s), _) | (None, Some(s)) => Some(
            sub_attr(attr, s)
                .ok_or_else(|| Error::ScimInvalidPath(format!("{} has no {s}", attr.name)))?,
        ),
        (None, None) => None,
    };
    let Some(root) = doc.as_object_mut() else {
        return Err(Error::ScimInvalidSyntax("not an object".into()));
    };
    let holder = match uri {
        None => root,
        Some(u) => {
            let entry = root
                .entry(u.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            match entry.as_object_mut() {
                Some(m) => m,
                None => {
                    return Err(Error::ScimInvalidSyntax(
                        "extension is not an object".into(),
                    ));
                }
            }
        }
    };
    let value = match (value, sub) {
        (Some(v), Some(s)) => canonical(s, v)?,
        (Some(v), None) => canonical(attr, v)?,
        (None, _) => None,
    };
    match &path.filter {
        Some(filter) => apply_filtered(holder, kind, attr, filter, sub, value),
        None => {
            apply_plain(holder, kind, attr, sub, value);
            Ok(())
        }
    }
}

fn apply_plain(
    holder: &mut Map<String, Value>,
    kind: OpKind,
    attr: &Attr,
    sub: Option<&Attr>,
    value: Option<Value>,
) {
    let name = attr.name;
    match (kind, sub, value) {
        (OpKind::Remove, None, _) | (_, None, None) => {
            holder.remove(name);
        }
        (OpKind::Remove, Some(sub), _) | (_, Some(sub), None) => {
            for item in items_mut(holder.get_mut(name)) {
                if let Some(o) = item.as_object_mut() {
                    o.remove(sub.name);
                }
            }
        }
        (_, Some(sub), Some(v)) => {
            let slot = holder
                .entry(name.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if attr.multi {
                for item in items_mut(Some(slot)) {
                    if let Some(o) = item.as_object_mut() {
                        o.insert(sub.name.to_owned(), v.clone());
                    }
                }
            } else if let Some(o) = slot.as_object_mut() {
                o.insert(sub.name.to_owned(), v);
            } else {
                *slot = Value::Object(Map::from_iter([(sub.name.to_owned(), v)]));
            }
        }
        (OpKind::Add, None, Some(Value::Array(more))) if attr.multi => {
            let slot = holder
                .entry(name.to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            match slot {
                Value::Array(have) => {
                    for m in more {
                        if !have.contains(&m) {
                            have.push(m);
                        }
                    }
                    super::resource::one_primary(have);
                }
                other => *other = Value::Array(more),
            }
        }
        (_, None, Some(Value::Object(more))) if attr.kind == Type::Complex && !attr.multi => {
            // Sub-attributes given replace theirs; the others stay (RFC 7644 §3.5.2.3).
            match holder.get_mut(name) {
                Some(Value::Object(have)) => have.extend(more),
                _ => {
                    holder.insert(name.to_owned(), Value::Object(more));
                }
            }
        }
        (_, None, Some(v)) => {
            holder.insert(name.to_owned(), v);
        }
    }
}

fn items_mut(v: Option<&mut Value>) -> Vec<&mut Value> {
    match v {
        Some(Value::Array(items)) => items.iter_mut().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    }
}

fn apply_filtered(
    holder: &mut Map<String, Value>,
    kind: OpKind,
    attr: &Attr,
    filter: &Filter,
    sub: Option<&Attr>,
    value: Option<Value>,
) -> Result<()> {
    if !(attr.multi && attr.kind == Type::Complex) {
        return Err(Error::ScimInvalidPath(format!(
            "{} takes no value filter",
            attr.name
        )));
    }
    let slot = holder
        .entry(attr.name.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        *slot = Value::Array(vec![slot.take()]);
    }
    let Value::Array(items) = slot else {
        return Ok(());
    };
    let mut hits = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if matches_value(attr, item, filter)? {
            hits.push(i);
        }
    }
    if hits.is_empty() {
        // Entra adds `emails[type eq "work"].value` when there is no work address yet.
        if let (OpKind::Add | OpKind::Replace, Some(seed)) = (kind, seed_of(filter)) {
            let mut item = Map::from_iter([seed]);
            match (sub, value) {
                (Some(s), Some(v)) => {
                    item.insert(s.name.to_owned(), v);
                }
                (None, Some(Value::Object(o))) => item.extend(o),
                _ => {}
            }
            items.push(Value::Object(item));
            return Ok(());
        }
        return Err(Error::ScimNoTarget(
            "the value filter matches no value".into(),
        ));
    }
    if kind == OpKind::Remove && sub.is_none() {
        let mut i = 0;
        items.retain(|_| {
            let keep = !hits.contains(&i);
            i += 1;
            keep
        });
        return Ok(());
    }
    for i in hits {
        let Some(item) = items.get_mut(i).and_then(Value::as_object_mut) else {
            continue;
        };
        match (kind, sub, &value) {
            (OpKind::Remove, Some(s), _) | (_, Some(s), None) => {
                item.remove(s.name);
            }
            (_, Some(s), Some(v)) => {
                item.insert(s.name.to_owned(), v.clone());
            }
            (_, None, Some(Value::Object(o))) => item.extend(o.clone()),
            _ => {
                return Err(Error::ScimInvalidValue(
                    "the value must be an object".into(),
                ));
            }
        }
    }
    Ok(())
}

/// The attribute a new value gets from an `x eq "v"` filter.
fn seed_of(filter: &Filter) -> Option<(String, Value)> {
    match filter {
        Filter::Compare {
            path:
                AttrPath {
                    uri: None,
                    name,
                    sub: None,
                },
            op: CompareOp::Eq,
            value,
        } if !value.is_null() => Some((name.clone(), value.clone())),
        _ => None,
    }
}
