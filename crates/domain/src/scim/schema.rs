//! What Gatehouse's SCIM service supports, as data: the attributes of its User and Group
//! resources and of the enterprise extension. `/Schemas` is rendered from these tables, and
//! the filters, sorting, projections and PATCH read their names, types and case rules here,
//! so the document and the behaviour cannot drift apart.

use serde_json::{Value, json};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    String,
    Boolean,
    DateTime,
    Reference,
    Complex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
}

/// One attribute of a schema.
#[derive(Debug, Clone, Copy)]
pub struct Attr {
    pub name: &'static str,
    pub kind: Type,
    pub multi: bool,
    pub case_exact: bool,
    pub required: bool,
    pub mutability: Mutability,
    /// `always` (id), `default`, or `never`.
    pub returned: &'static str,
    /// `server` for userName and displayName of groups, else `none`.
    pub uniqueness: &'static str,
    pub description: &'static str,
    pub sub: &'static [Attr],
    /// What a reference attribute may point to (`referenceTypes`).
    pub refs: &'static [&'static str],
}

const fn attr(name: &'static str, kind: Type, description: &'static str) -> Attr {
    Attr {
        name,
        kind,
        multi: false,
        case_exact: false,
        required: false,
        mutability: Mutability::ReadWrite,
        returned: "default",
        uniqueness: "none",
        description,
        sub: &[],
        refs: &["uri"],
    }
}

const fn to(mut a: Attr, refs: &'static [&'static str]) -> Attr {
    a.refs = refs;
    a
}

const fn immutable(mut a: Attr) -> Attr {
    a.mutability = Mutability::Immutable;
    a
}

const fn read_only(mut a: Attr) -> Attr {
    a.mutability = Mutability::ReadOnly;
    a
}

const fn exact(mut a: Attr) -> Attr {
    a.case_exact = true;
    a
}

const fn complex(name: &'static str, multi: bool, d: &'static str, sub: &'static [Attr]) -> Attr {
    let mut a = attr(name, Type::Complex, d);
    a.multi = multi;
    a.sub = sub;
    a
}

/// The common attributes every resource has (RFC 7643 §3.1).
pub const COMMON: &[Attr] = &[
    Attr {
        returned: "always",
        uniqueness: "server",
        ..read_only(exact(attr("id", Type::String, "Gatehouse's id.")))
    },
    exact(attr(
        "externalId",
        Type::String,
        "The provisioning client's id, kept as sent.",
    )),
    read_only(complex(
        "meta",
        false,
        "Resource metadata.",
        &[
            read_only(exact(attr("resourceType", Type::String, "User or Group."))),
            read_only(attr("created", Type::DateTime, "When it was created.")),
            read_only(attr(
                "lastModified",
                Type::DateTime,
                "When it last changed.",
            )),
            read_only(exact(attr("location", Type::Reference, "Its URI."))),
            read_only(exact(attr("version", Type::String, "Its ETag."))),
        ],
    )),
];

pub const USER: &[Attr] = &[
    Attr {
        required: true,
        uniqueness: "server",
        ..attr(
            "userName",
            Type::String,
            "The user's email address in Gatehouse; unique in the business, case-insensitively.",
        )
    },
    complex(
        "name",
        false,
        "The user's name.",
        &[
            attr("formatted", Type::String, "The full name."),
            attr("familyName", Type::String, "Family name."),
            attr("givenName", Type::String, "Given name."),
        ],
    ),
    attr(
        "displayName",
        Type::String,
        "The name Gatehouse shows (up to 200 characters).",
    ),
    attr("title", Type::String, "Job title."),
    attr(
        "active",
        Type::Boolean,
        "false deactivates the account at once (sessions and tokens end); true reactivates it.",
    ),
    complex(
        "emails",
        true,
        "Email addresses, kept as sent; userName is the one Gatehouse signs in with.",
        &[
            attr("value", Type::String, "The address."),
            attr("type", Type::String, "work, home or other."),
            attr("primary", Type::Boolean, "The primary address."),
        ],
    ),
    read_only(complex(
        "groups",
        true,
        "The Gatehouse groups the user is a member of (change them through Groups).",
        &[
            read_only(exact(attr("value", Type::String, "The group's id."))),
            read_only(exact(to(
                attr("$ref", Type::Reference, "The group's URI."),
                &["Group"],
            ))),
            read_only(attr("display", Type::String, "The group's name.")),
        ],
    )),
];

pub const ENTERPRISE: &[Attr] = &[
    attr("employeeNumber", Type::String, "Employee number."),
    attr("costCenter", Type::String, "Cost center."),
    attr("organization", Type::String, "Organization."),
    attr("division", Type::String, "Division."),
    attr("department", Type::String, "Department."),
    complex(
        "manager",
        false,
        "The user's manager.",
        &[
            exact(attr("value", Type::String, "The manager's id.")),
            read_only(attr("displayName", Type::String, "The manager's name.")),
        ],
    ),
];

pub const GROUP: &[Attr] = &[
    Attr {
        required: true,
        uniqueness: "server",
        ..attr(
            "displayName",
            Type::String,
            "The group's name in Gatehouse; unique in the business, case-insensitively.",
        )
    },
    complex(
        "members",
        true,
        "The group's members (users). A group made through SCIM grants nothing until an \
         administrator gives it permissions in Gatehouse.",
        &[
            immutable(exact(attr("value", Type::String, "The member's id."))),
            immutable(exact(to(
                attr(
                    "$ref",
                    Type::Reference,
                    "The member's URI (value is enough).",
                ),
                &["User"],
            ))),
            read_only(attr("display", Type::String, "The member's name.")),
            read_only(attr("type", Type::String, "Always User.")),
        ],
    ),
];

/// Which resource an operation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    User,
    Group,
}

impl Resource {
    pub fn core_schema(self) -> &'static str {
        match self {
            Resource::User => USER_SCHEMA,
            Resource::Group => GROUP_SCHEMA,
        }
    }

    fn core(self) -> &'static [Attr] {
        match self {
            Resource::User => USER,
            Resource::Group => GROUP,
        }
    }

    /// The attribute a path names: its schema URI (`None` for the core schema) and its
    /// definition, with the common attributes included. `None` if unknown.
    pub fn find(
        self,
        uri: Option<&str>,
        name: &str,
    ) -> Option<(Option<&'static str>, &'static Attr)> {
        let core = |name: &str| {
            self.core()
                .iter()
                .chain(COMMON)
                .find(|a| a.name.eq_ignore_ascii_case(name))
                .map(|a| (None, a))
        };
        match uri {
            None => core(name),
            Some(u) if u.eq_ignore_ascii_case(self.core_schema()) => core(name),
            Some(u) if self == Resource::User && u.eq_ignore_ascii_case(ENTERPRISE_SCHEMA) => {
                ENTERPRISE
                    .iter()
                    .find(|a| a.name.eq_ignore_ascii_case(name))
                    .map(|a| (Some(ENTERPRISE_SCHEMA), a))
            }
            Some(_) => None,
        }
    }
}

/// The sub-attribute `name` of `attr`, case-insensitively.
pub fn sub_attr(attr: &Attr, name: &str) -> Option<&'static Attr> {
    attr.sub.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

fn attr_json(a: &Attr) -> Value {
    let kind = match a.kind {
        Type::String => "string",
        Type::Boolean => "boolean",
        Type::DateTime => "dateTime",
        Type::Reference => "reference",
        Type::Complex => "complex",
    };
    let mutability = match a.mutability {
        Mutability::ReadOnly => "readOnly",
        Mutability::ReadWrite => "readWrite",
        Mutability::Immutable => "immutable",
    };
    let mut v = json!({
        "name": a.name,
        "type": kind,
        "multiValued": a.multi,
        "description": a.description,
        "required": a.required,
        "caseExact": a.case_exact,
        "mutability": mutability,
        "returned": a.returned,
        "uniqueness": a.uniqueness,
    });
    if a.kind == Type::Complex {
        v["subAttributes"] = a.sub.iter().map(attr_json).collect();
    }
    if a.kind == Type::Reference {
        v["referenceTypes"] = json!(a.refs);
    }
    v
}

fn schema_json(id: &str, name: &str, description: &str, attrs: &[Attr], base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attrs.iter().map(attr_json).collect::<Vec<_>>(),
        "meta": { "resourceType": "Schema", "location": format!("{base}/Schemas/{id}") },
    })
}

/// Every schema `/Schemas` lists, for resources under `base` (the SCIM root URL).
pub fn schemas(base: &str) -> Vec<Value> {
    vec![
        schema_json(USER_SCHEMA, "User", "A Gatehouse user", USER, base),
        schema_json(GROUP_SCHEMA, "Group", "A Gatehouse group", GROUP, base),
        schema_json(
            ENTERPRISE_SCHEMA,
            "EnterpriseUser",
            "Enterprise attributes, kept as sent",
            ENTERPRISE,
            base,
        ),
    ]
}
