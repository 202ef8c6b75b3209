//! Who did something, as the audit trail and the records a change leaves name them.

use serde::{Deserialize, Serialize};

/// The kinds of actor the audit trail knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Operator,
    ApiKey,
    User,
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Operator => "operator",
            ActorKind::ApiKey => "api_key",
            ActorKind::User => "user",
            ActorKind::System => "system",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "operator" => Some(ActorKind::Operator),
            "api_key" => Some(ActorKind::ApiKey),
            "user" => Some(ActorKind::User),
            "system" => Some(ActorKind::System),
            _ => None,
        }
    }
}

/// Who did something, as the audit trail records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Actor {
    pub kind: ActorKind,
    /// The id of the key or user; absent for the operator and the system.
    pub id: Option<String>,
    /// A readable name at the time of the action.
    pub label: String,
}

impl Actor {
    pub fn operator() -> Self {
        Actor {
            kind: ActorKind::Operator,
            id: None,
            label: "operator".to_owned(),
        }
    }

    /// Gatehouse itself, acting on a user's own behalf or on a schedule.
    pub fn system() -> Self {
        Actor {
            kind: ActorKind::System,
            id: None,
            label: "system".to_owned(),
        }
    }
}
