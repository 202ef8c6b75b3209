//! Reading a PatchOp message (RFC 7644 §3.5.2): `op` in any case (Entra capitalises it),
//! paths parsed, values kept for the resource's own PATCH.

use serde_json::Value;

use super::eval::get_ci;
use super::filter::{PatchPath, parse_patch_path};
use super::schema::PATCH_SCHEMA;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Remove,
    Replace,
}

#[derive(Debug, Clone)]
pub struct PatchOp {
    pub kind: OpKind,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

/// Reads a PatchOp message; empty `Operations` is refused.
pub fn read_patch(body: &Value) -> Result<Vec<PatchOp>> {
    let syntax = |m: &str| Error::ScimInvalidSyntax(m.to_owned());
    if !body.is_object() {
        return Err(syntax("a PatchOp must be a JSON object"));
    }
    if let Some(schemas) = get_ci(body, "schemas") {
        let listed = schemas
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s.as_str() == Some(PATCH_SCHEMA)));
        if !listed {
            return Err(syntax("schemas must list the PatchOp schema"));
        }
    }
    let Some(Value::Array(ops)) = get_ci(body, "Operations") else {
        return Err(syntax("Operations must be a list"));
    };
    if ops.is_empty() {
        return Err(Error::ScimInvalidValue(
            "Operations must not be empty".into(),
        ));
    }
    ops.iter()
        .map(|op| {
            let kind = match get_ci(op, "op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
            {
                Some(k) if k == "add" => OpKind::Add,
                Some(k) if k == "remove" => OpKind::Remove,
                Some(k) if k == "replace" => OpKind::Replace,
                _ => return Err(syntax("op must be add, remove or replace")),
            };
            let path = match get_ci(op, "path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) => Some(parse_patch_path(p)?),
                Some(_) => return Err(Error::ScimInvalidPath("path must be a string".into())),
            };
            let value = get_ci(op, "value").filter(|v| !v.is_null()).cloned();
            if kind == OpKind::Remove && path.is_none() {
                return Err(Error::ScimNoTarget("remove needs a path".into()));
            }
            if kind != OpKind::Remove && value.is_none() {
                return Err(Error::ScimInvalidValue(
                    "add and replace need a value".into(),
                ));
            }
            Ok(PatchOp { kind, path, value })
        })
        .collect()
}
