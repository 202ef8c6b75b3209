//! Filters evaluated in the domain over resources as SCIM renders them, with each
//! attribute's type and case rule from [`schema`](super::schema). Nothing of a filter ever
//! reaches SQL; the candidates come from indexed reads (see `scim::users`).

use std::cmp::Ordering;

use serde_json::Value;

use super::filter::{AttrPath, CompareOp, Filter};
use super::schema::{Attr, Resource, Type, sub_attr};
use crate::error::{Error, Result};

/// Where a path leads in a resource: its definition and its values (a multi-valued
/// attribute's every value, a sub-attribute's value in each).
fn values<'v>(
    resource: Resource,
    doc: &'v Value,
    path: &AttrPath,
) -> Result<(&'static Attr, Vec<&'v Value>)> {
    let (uri, attr) = resolve(resource, path)?;
    let holder = match uri {
        None => Some(doc),
        Some(uri) => get_ci(doc, uri),
    };
    let top = holder.and_then(|h| get_ci(h, attr.name));
    let mut out = Vec::new();
    let items: Vec<&Value> = match top {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    };
    match &path.sub {
        Some(sub) => {
            let def = sub_attr(attr, sub)
                .ok_or_else(|| Error::ScimInvalidFilter(format!("unknown attribute {sub}")))?;
            out.extend(items.into_iter().filter_map(|i| get_ci(i, def.name)));
            Ok((def, out))
        }
        // A complex multi-valued attribute compared as a whole compares its `value`s.
        None if attr.kind == Type::Complex && attr.multi => match sub_attr(attr, "value") {
            Some(def) => Ok((
                def,
                items
                    .into_iter()
                    .filter_map(|i| get_ci(i, "value"))
                    .collect(),
            )),
            None => Ok((attr, items)),
        },
        None => Ok((attr, items)),
    }
}

/// The definition a path names, or `invalidFilter`.
pub fn resolve(
    resource: Resource,
    path: &AttrPath,
) -> Result<(Option<&'static str>, &'static Attr)> {
    resource
        .find(path.uri.as_deref(), &path.name)
        .ok_or_else(|| Error::ScimInvalidFilter(format!("unknown attribute {}", path.name)))
}

/// A member of a JSON object by name, ignoring case (SCIM names are case-insensitive).
pub fn get_ci<'v>(v: &'v Value, name: &str) -> Option<&'v Value> {
    let obj = v.as_object()?;
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// Whether `doc` matches `filter`.
pub fn matches(resource: Resource, doc: &Value, filter: &Filter) -> Result<bool> {
    Ok(match filter {
        Filter::And(a, b) => matches(resource, doc, a)? && matches(resource, doc, b)?,
        Filter::Or(a, b) => matches(resource, doc, a)? || matches(resource, doc, b)?,
        Filter::Not(f) => !matches(resource, doc, f)?,
        Filter::Present(path) => {
            let (_, vals) = values(resource, doc, path)?;
            vals.iter().any(|v| present(v))
        }
        Filter::Compare { path, op, value } => {
            let (def, vals) = values(resource, doc, path)?;
            check_operand(def, *op, value)?;
            match (op, value) {
                // `eq null` is "not present"; `ne null`, present.
                (CompareOp::Eq, Value::Null) => !vals.iter().any(|v| present(v)),
                (CompareOp::Ne, Value::Null) => vals.iter().any(|v| present(v)),
                (CompareOp::Ne, _) => !vals.iter().any(|v| compare(def, CompareOp::Eq, v, value)),
                _ => vals.iter().any(|v| compare(def, *op, v, value)),
            }
        }
        Filter::ValuePath { path, filter } => {
            let (uri, attr) = resolve(resource, path)?;
            if attr.kind != Type::Complex {
                return Err(Error::ScimInvalidFilter(format!(
                    "{} has no sub-attributes to filter",
                    attr.name
                )));
            }
            let holder = match uri {
                None => Some(doc),
                Some(uri) => get_ci(doc, uri),
            };
            let items: Vec<&Value> = match holder.and_then(|h| get_ci(h, attr.name)) {
                Some(Value::Array(items)) => items.iter().collect(),
                Some(v) => vec![v],
                None => Vec::new(),
            };
            let mut any = false;
            for item in items {
                any |= matches_value(attr, item, filter)?;
            }
            any
        }
    })
}

/// Whether one value of complex attribute `attr` matches a value filter (paths relative).
pub fn matches_value(attr: &Attr, item: &Value, filter: &Filter) -> Result<bool> {
    Ok(match filter {
        Filter::And(a, b) => matches_value(attr, item, a)? && matches_value(attr, item, b)?,
        Filter::Or(a, b) => matches_value(attr, item, a)? || matches_value(attr, item, b)?,
        Filter::Not(f) => !matches_value(attr, item, f)?,
        Filter::Present(path) => {
            let def = relative(attr, path)?;
            get_ci(item, def.name).is_some_and(present)
        }
        Filter::Compare { path, op, value } => {
            let def = relative(attr, path)?;
            check_operand(def, *op, value)?;
            let v = get_ci(item, def.name);
            match (op, value, v) {
                (CompareOp::Eq, Value::Null, v) => !v.is_some_and(present),
                (CompareOp::Ne, Value::Null, v) => v.is_some_and(present),
                (CompareOp::Ne, _, v) => !v.is_some_and(|v| compare(def, CompareOp::Eq, v, value)),
                (_, _, Some(v)) => compare(def, *op, v, value),
                (_, _, None) => false,
            }
        }
        Filter::ValuePath { .. } => {
            return Err(Error::ScimInvalidFilter("value filters cannot nest".into()));
        }
    })
}

fn relative(attr: &Attr, path: &AttrPath) -> Result<&'static Attr> {
    if path.uri.is_some() || path.sub.is_some() {
        return Err(Error::ScimInvalidFilter(format!(
            "{} is not a sub-attribute of {}",
            path.name, attr.name
        )));
    }
    sub_attr(attr, &path.name).ok_or_else(|| {
        Error::ScimInvalidFilter(format!("{} has no sub-attribute {}", attr.name, path.name))
    })
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

/// Refuses comparisons the attribute's type does not have (RFC 7644: booleans and complex
/// attributes have no order, and no substring).
fn check_operand(def: &Attr, op: CompareOp, value: &Value) -> Result<()> {
    let ordered = matches!(
        op,
        CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
    );
    let substring = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
    let refused = match def.kind {
        Type::Boolean => ordered || substring,
        Type::Complex => true,
        _ => false,
    } || ((ordered || substring) && value.is_null());
    if refused {
        return Err(Error::ScimInvalidFilter(format!(
            "{} cannot be compared that way",
            def.name
        )));
    }
    Ok(())
}

/// Compares a stored value with a filter's, by the attribute's type and case rule.
pub fn compare(def: &Attr, op: CompareOp, stored: &Value, wanted: &Value) -> bool {
    let ord = match (stored, wanted) {
        (Value::String(a), Value::String(b)) => {
            let (a, b) = if def.case_exact {
                (a.clone(), b.clone())
            } else {
                (a.to_lowercase(), b.to_lowercase())
            };
            match op {
                CompareOp::Co => return a.contains(&b),
                CompareOp::Sw => return a.starts_with(&b),
                CompareOp::Ew => return a.ends_with(&b),
                _ => a.cmp(&b),
            }
        }
        (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
        // Entra writes booleans as strings ("True").
        (Value::Bool(a), Value::String(b)) => match b.to_ascii_lowercase().as_str() {
            "true" => a.cmp(&true),
            "false" => a.cmp(&false),
            _ => return false,
        },
        (Value::Number(a), Value::Number(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Less),
            _ => return false,
        },
        _ => return false,
    };
    match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// The value `sortBy` orders by: the first value the path leads to (lower-cased unless the
/// attribute is case-exact). Resources without one sort last.
pub fn sort_key(resource: Resource, doc: &Value, path: &AttrPath) -> Result<Option<String>> {
    let (def, vals) = values(resource, doc, path)?;
    Ok(vals.first().map(|v| match v {
        Value::String(s) if !def.case_exact => s.to_lowercase(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }))
}
