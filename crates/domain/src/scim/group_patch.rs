//! PATCH of a group, read into one change: its name, its external id, and its members as a
//! delta (added, removed, or a whole new set), so that a large group is changed without
//! reading its members.

use std::collections::BTreeSet;

use serde_json::Value;

use super::eval::get_ci;
use super::filter::{CompareOp, Filter, PatchPath};
use super::patch::{OpKind, PatchOp};
use crate::error::{Error, Result};

/// What a group PATCH changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupChange {
    pub display_name: Option<String>,
    /// `Some(None)` removes it.
    pub external_id: Option<Option<String>>,
    pub members: MemberDelta,
}

/// A change of membership, by member id as the client wrote it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemberDelta {
    /// The whole new set, when an operation replaced (or removed) every member.
    pub replace: Option<BTreeSet<String>>,
    pub add: BTreeSet<String>,
    pub remove: BTreeSet<String>,
}

impl MemberDelta {
    fn add(&mut self, id: String) {
        match &mut self.replace {
            Some(set) => {
                set.insert(id);
            }
            None => {
                self.remove.remove(&id);
                self.add.insert(id);
            }
        }
    }

    fn remove(&mut self, id: &str) {
        match &mut self.replace {
            Some(set) => {
                set.remove(id);
            }
            None => {
                self.add.remove(id);
                self.remove.insert(id.to_owned());
            }
        }
    }

    fn replace(&mut self, ids: BTreeSet<String>) {
        self.replace = Some(ids);
        self.add.clear();
        self.remove.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.replace.is_none() && self.add.is_empty() && self.remove.is_empty()
    }
}

/// The member ids of a `members` value: `[{"value": id}, …]` or one such object.
pub fn member_ids(v: &Value) -> Result<BTreeSet<String>> {
    let items = match v {
        Value::Array(items) => items.iter().collect::<Vec<_>>(),
        one => vec![one],
    };
    items
        .into_iter()
        .map(|m| match (get_ci(m, "value"), get_ci(m, "$ref")) {
            (Some(Value::String(id)), _) => Ok(id.clone()),
            // Only the reference: its last segment is the id.
            (None, Some(Value::String(r))) => {
                Ok(r.rsplit('/').next().unwrap_or_default().to_owned())
            }
            _ => Err(Error::ScimInvalidValue(
                "each member needs a value (a user id)".into(),
            )),
        })
        .collect()
}

/// The ids a `members[value eq "…" or value eq "…"]` filter names.
fn filtered_ids(filter: &Filter, out: &mut BTreeSet<String>) -> Result<()> {
    match filter {
        Filter::Or(a, b) => {
            filtered_ids(a, out)?;
            filtered_ids(b, out)
        }
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: Value::String(id),
        } if path.uri.is_none()
            && path.sub.is_none()
            && path.name.eq_ignore_ascii_case("value") =>
        {
            out.insert(id.clone());
            Ok(())
        }
        _ => Err(Error::ScimInvalidFilter(
            "members can be selected by value eq \"id\" (joined with or)".into(),
        )),
    }
}

fn string_value(v: Option<&Value>, what: &str) -> Result<String> {
    match v {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(Error::ScimInvalidValue(format!("{what} must be a string"))),
    }
}

fn apply_one(
    change: &mut GroupChange,
    kind: OpKind,
    path: &PatchPath,
    value: Option<&Value>,
) -> Result<()> {
    let name = path.attr.name.as_str();
    if path
        .attr
        .uri
        .as_deref()
        .is_some_and(|u| !u.eq_ignore_ascii_case(super::schema::GROUP_SCHEMA))
    {
        return Err(Error::ScimInvalidPath(format!("unknown attribute {name}")));
    }
    if name.eq_ignore_ascii_case("displayName") && path.filter.is_none() {
        if kind == OpKind::Remove {
            return Err(Error::ScimMutability("displayName is required".into()));
        }
        change.display_name = Some(string_value(value, "displayName")?);
    } else if name.eq_ignore_ascii_case("externalId") && path.filter.is_none() {
        change.external_id = Some(match kind {
            OpKind::Remove => None,
            _ => Some(string_value(value, "externalId")?),
        });
    } else if name.eq_ignore_ascii_case("members") {
        if path.attr.sub.is_some() || path.sub.is_some() {
            return Err(Error::ScimInvalidPath(
                "members' sub-attributes are read-only".into(),
            ));
        }
        match (kind, &path.filter, value) {
            (OpKind::Remove, Some(f), _) => {
                let mut ids = BTreeSet::new();
                filtered_ids(f, &mut ids)?;
                ids.iter().for_each(|id| change.members.remove(id));
            }
            // Entra removes members by value rather than by filter.
            (OpKind::Remove, None, Some(v)) => {
                member_ids(v)?
                    .iter()
                    .for_each(|id| change.members.remove(id));
            }
            (OpKind::Remove, None, None) => change.members.replace(BTreeSet::new()),
            (OpKind::Add, None, Some(v)) => member_ids(v)?
                .into_iter()
                .for_each(|id| change.members.add(id)),
            (OpKind::Replace, None, Some(v)) => change.members.replace(member_ids(v)?),
            _ => {
                return Err(Error::ScimInvalidPath(
                    "members take add, replace, or remove".into(),
                ));
            }
        }
    } else if name.eq_ignore_ascii_case("id") || name.eq_ignore_ascii_case("meta") {
        return Err(Error::ScimMutability(format!("{name} is read-only")));
    } else {
        return Err(Error::ScimInvalidPath(format!("unknown attribute {name}")));
    }
    Ok(())
}

/// Reads a group PATCH's operations into one change.
pub fn group_change(ops: &[PatchOp]) -> Result<GroupChange> {
    let mut change = GroupChange::default();
    for op in ops {
        match &op.path {
            Some(path) => apply_one(&mut change, op.kind, path, op.value.as_ref())?,
            None => {
                let Some(Value::Object(obj)) = &op.value else {
                    return Err(Error::ScimInvalidValue(
                        "without a path, the value must be an object".into(),
                    ));
                };
                for (key, v) in obj {
                    if key.eq_ignore_ascii_case("schemas") || key.eq_ignore_ascii_case("id") {
                        continue;
                    }
                    let path = super::filter::parse_patch_path(key)?;
                    apply_one(&mut change, op.kind, &path, Some(v))?;
                }
            }
        }
    }
    Ok(change)
}

/// A group as a client describes it (POST, PUT).
#[derive(Debug, Clone)]
pub struct GroupInput {
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: BTreeSet<String>,
}

impl GroupInput {
    pub fn read(doc: &Value) -> Result<Self> {
        let display_name = match get_ci(doc, "displayName") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(Error::ScimInvalidValue("displayName is required".into())),
        };
        let external_id = match get_ci(doc, "externalId") {
            Some(Value::String(s)) => Some(s.clone()),
            None | Some(Value::Null) => None,
            Some(_) => {
                return Err(Error::ScimInvalidValue(
                    "externalId must be a string".into(),
                ));
            }
        };
        let members = match get_ci(doc, "members") {
            None | Some(Value::Null) => BTreeSet::new(),
            Some(v) => member_ids(v)?,
        };
        Ok(Self {
            display_name,
            external_id,
            members,
        })
    }
}
