//! Gatehouse's users and groups as SCIM documents.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::resource::ScimUserExtras;
use super::schema::{ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};
use crate::model::{Group, User, UserStatus};

/// The weak ETag of a version.
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

fn stamp(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn meta(
    kind: &str,
    location: String,
    created: OffsetDateTime,
    modified: OffsetDateTime,
    version: i64,
) -> Value {
    json!({
        "resourceType": kind,
        "created": stamp(created),
        "lastModified": stamp(modified),
        "location": location,
        "version": etag(version),
    })
}

/// A user: the account's own attributes (`userName` is its email; `active` is "not
/// deactivated") with the extras the client gave.
pub fn user(base: &str, user: &User, extras: &ScimUserExtras) -> Value {
    let mut doc = json!({
        "schemas": [USER_SCHEMA],
        "id": user.id.to_string(),
        "userName": user.email.as_str(),
        "active": user.status != UserStatus::Deactivated,
        "groups": user.groups.iter().map(|g| json!({
            "value": g.id.to_string(),
            "display": g.name.as_str(),
            "$ref": format!("{base}/Groups/{}", g.id),
        })).collect::<Vec<_>>(),
        "meta": meta("User", format!("{base}/Users/{}", user.id), user.created_at, user.updated_at, user.version),
    });
    if !user.display_name.as_str().is_empty() {
        doc["displayName"] = json!(user.display_name.as_str());
    }
    if let Some(ext) = &extras.external_id {
        doc["externalId"] = json!(ext);
    }
    if let Value::Object(attrs) = &extras.attributes {
        for (k, v) in attrs {
            doc[k] = v.clone();
        }
        if attrs.contains_key(ENTERPRISE_SCHEMA) {
            doc["schemas"] = json!([USER_SCHEMA, ENTERPRISE_SCHEMA]);
        }
    }
    doc
}

/// A group; `members` only when they were read (`None`: not asked for).
pub fn group(
    base: &str,
    group: &Group,
    external_id: Option<&str>,
    members: Option<&[User]>,
) -> Value {
    let mut doc = json!({
        "schemas": [GROUP_SCHEMA],
        "id": group.id.to_string(),
        "displayName": group.name.as_str(),
        "meta": meta("Group", format!("{base}/Groups/{}", group.id), group.created_at, group.updated_at, group.version),
    });
    if let Some(ext) = external_id {
        doc["externalId"] = json!(ext);
    }
    if let Some(members) = members {
        doc["members"] = members
            .iter()
            .map(|u| {
                let mut m = json!({
                    "value": u.id.to_string(),
                    "$ref": format!("{base}/Users/{}", u.id),
                });
                if !u.display_name.as_str().is_empty() {
                    m["display"] = json!(u.display_name.as_str());
                }
                m
            })
            .collect();
    }
    doc
}
