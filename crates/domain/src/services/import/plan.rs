//! Planning: what each row does to the business (create, update, skip or error), decided
//! before anything is written and in the same way for a dry run and a real one, so the dry
//! run's report is the real run's.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::parse::{FileRow, RawRow, RowError};
use crate::model::{Group, GroupRef, User};
use crate::principal::BusinessAccess;
use crate::types::{DisplayName, Email, GroupName};

/// What a row does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    /// A new user, invited (`pending`), in the row's groups.
    Create,
    /// An existing user: a new display name and/or groups added.
    Update,
    /// An existing user that already matches the row: nothing to do.
    Skip,
    /// The row is refused; nothing of it is applied.
    Error,
}

/// The report of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowOutcome {
    /// The line of the file the row starts on (1 is the first line; a CSV header is line 1).
    pub line: u64,
    /// The row's email as read (lower-cased when valid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub action: RowAction,
    /// The display name set (create, or update of the name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The groups the row adds the user to, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups_added: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RowError>,
}

/// The write a valid row needs.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    Create {
        email: Email,
        name: DisplayName,
        groups: Vec<GroupRef>,
    },
    Update {
        before: User,
        name: Option<DisplayName>,
        add: Vec<GroupRef>,
    },
}

/// A row with its report and its write (none for a skip or an error).
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub(crate) outcome: RowOutcome,
    pub(crate) change: Option<Change>,
}

/// What planning reads: the business's groups by name key, the existing users among the
/// batch's emails, and the emails seen so far in the file (with their line).
#[derive(Debug)]
pub(crate) struct Known<'a> {
    pub(crate) groups: &'a HashMap<String, Group>,
    pub(crate) users: HashMap<Email, User>,
}

/// The valid emails of `rows`, to read the existing users of a batch with one query.
pub(crate) fn emails_of(rows: &[FileRow]) -> Vec<Email> {
    rows.iter()
        .filter_map(|r| r.row.as_ref().ok())
        .filter_map(|r| Email::parse(&r.email).ok())
        .collect()
}

/// Plans each row of a batch. `seen` carries the emails of earlier rows across batches: a
/// second row for the same email is an error (the file would otherwise depend on its order).
pub(crate) fn plan_rows<P>(
    access: &BusinessAccess<P>,
    rows: &[FileRow],
    known: &Known<'_>,
    seen: &mut HashMap<Email, u64>,
) -> Vec<Planned> {
    rows.iter()
        .map(|r| {
            let mut outcome = RowOutcome {
                line: r.line,
                email: None,
                action: RowAction::Error,
                name: None,
                groups_added: Vec::new(),
                error: None,
            };
            let raw = match &r.row {
                Ok(raw) => raw,
                Err(e) => {
                    outcome.error = Some(e.clone());
                    return Planned {
                        outcome,
                        change: None,
                    };
                }
            };
            outcome.email = Some(raw.email.trim().to_lowercase());
            match plan_row(access, r.line, raw, known, seen) {
                Ok((action, change)) => {
                    outcome.action = action;
                    match &change {
                        Some(Change::Create { name, groups, .. }) => {
                            outcome.name = Some(name.to_string());
                            outcome.groups_added = names(groups);
                        }
                        Some(Change::Update { name, add, .. }) => {
                            outcome.name = name.as_ref().map(ToString::to_string);
                            outcome.groups_added = names(add);
                        }
                        None => {}
                    }
                    Planned { outcome, change }
                }
                Err(e) => {
                    outcome.error = Some(e);
                    Planned {
                        outcome,
                        change: None,
                    }
                }
            }
        })
        .collect()
}

fn names(groups: &[GroupRef]) -> Vec<String> {
    groups.iter().map(|g| g.name.to_string()).collect()
}

fn plan_row<P>(
    access: &BusinessAccess<P>,
    line: u64,
    raw: &RawRow,
    known: &Known<'_>,
    seen: &mut HashMap<Email, u64>,
) -> std::result::Result<(RowAction, Option<Change>), RowError> {
    let email = Email::parse(&raw.email).map_err(|e| RowError::of(&e))?;
    if let Some(first) = seen.get(&email) {
        return Err(RowError::new(
            "duplicate_row",
            format!("{email} is already on line {first}"),
        ));
    }
    seen.insert(email.clone(), line);
    // An empty or missing name leaves an existing user's name as it is.
    let parsed =
        DisplayName::parse(raw.name.as_deref().unwrap_or("")).map_err(|e| RowError::of(&e))?;
    let name = (!parsed.as_str().is_empty()).then(|| parsed.clone());
    let existing = known.users.get(&email);
    let mut wanted: Vec<GroupRef> = Vec::new();
    for raw_group in &raw.groups {
        let name = GroupName::parse(raw_group).map_err(|e| RowError::of(&e))?;
        let group = known
            .groups
            .get(&name.key())
            .ok_or_else(|| RowError::new("group_not_found", format!("no group named `{name}`")))?;
        let member = existing.is_some_and(|u| u.groups.iter().any(|g| g.id == group.id));
        if member || wanted.iter().any(|g| g.id == group.id) {
            continue;
        }
        // Joining a group grants its rights: the importer must hold them (as in the dashboard).
        access
            .ensure_holds(&group.grants, &group.scope)
            .map_err(|e| RowError::new(e.code(), format!("group `{}`: {e}", group.name)))?;
        wanted.push(GroupRef {
            id: group.id,
            name: group.name.clone(),
        });
    }
    wanted.sort_by_key(|g| g.name.key());
    match existing {
        None => Ok((
            RowAction::Create,
            Some(Change::Create {
                email,
                name: parsed,
                groups: wanted,
            }),
        )),
        Some(user) => {
            let name = name.filter(|n| *n != user.display_name);
            if name.is_none() && wanted.is_empty() {
                return Ok((RowAction::Skip, None));
            }
            Ok((
                RowAction::Update,
                Some(Change::Update {
                    before: user.clone(),
                    name,
                    add: wanted,
                }),
            ))
        }
    }
}
