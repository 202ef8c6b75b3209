//! The access-health report: findings, who or what each involves, where its fix is, and
//! the score they add up to.

use serde::Serialize;
use time::OffsetDateTime;

use super::store::{AdvisorSettings, DailyScore};
use crate::ids::{ApiKeyId, ApplicationId, GroupId, UserId};

/// How much a finding weighs on the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    High,
    Medium,
    Low,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }

    fn weight(self) -> u32 {
        match self {
            Severity::High => 10,
            Severity::Medium => 5,
            Severity::Low => 2,
        }
    }
}

/// What a finding is about. Stable codes for the API and the CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    SensitiveWidelyHeld,
    BusinessWideSensitiveGroup,
    LiveAccessWithoutMfa,
    DormantAccount,
    StaleInvitation,
    EmptyGroup,
    GroupWithoutPermissions,
    VagueGroupName,
    GroupWithoutDescription,
    DuplicateGroups,
    AdministratorWithoutMfa,
    UnusedApiKey,
    ApiKeyWithoutExpiry,
    UnusedApplication,
}

impl FindingKind {
    pub fn severity(self) -> Severity {
        use FindingKind::*;
        match self {
            SensitiveWidelyHeld | LiveAccessWithoutMfa | AdministratorWithoutMfa => Severity::High,
            BusinessWideSensitiveGroup
            | DormantAccount
            | UnusedApiKey
            | ApiKeyWithoutExpiry
            | UnusedApplication => Severity::Medium,
            StaleInvitation
            | EmptyGroup
            | GroupWithoutPermissions
            | VagueGroupName
            | GroupWithoutDescription
            | DuplicateGroups => Severity::Low,
        }
    }

    /// The stable code, as serialised.
    pub fn code(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// One user, group, key or application a finding involves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Subject {
    /// `user`, `group`, `api_key` or `application`.
    pub kind: &'static str,
    pub id: String,
    /// An email or a name.
    pub label: String,
}

impl Subject {
    pub fn user(id: UserId, email: &str) -> Self {
        Self::of("user", id.to_string(), email)
    }
    pub fn group(id: GroupId, name: &str) -> Self {
        Self::of("group", id.to_string(), name)
    }
    pub fn api_key(id: ApiKeyId, name: &str) -> Self {
        Self::of("api_key", id.to_string(), name)
    }
    pub fn application(id: ApplicationId, name: &str) -> Self {
        Self::of("application", id.to_string(), name)
    }
    fn of(kind: &'static str, id: String, label: &str) -> Self {
        Self {
            kind,
            id,
            label: label.to_owned(),
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Finding {
    /// Names this finding the same way on every computation while it stands: its kind and
    /// what it is about (`vague_group_name:grp_…`; `dormant_account` for the one finding that
    /// gathers every dormant account). A finding opens when its key first appears and is
    /// resolved when it goes (`advisor.finding_opened` / `advisor.finding_resolved`).
    pub key: String,
    pub kind: FindingKind,
    pub severity: Severity,
    pub title: String,
    pub subjects: Vec<Subject>,
    /// Where to fix it: a path under the business's dashboard (`/b/{slug}/admin`).
    pub fix: String,
}

impl Finding {
    pub(crate) fn new(
        kind: FindingKind,
        title: String,
        subjects: Vec<Subject>,
        fix: String,
    ) -> Self {
        let key = match kind {
            // One finding gathers all its users: who they are changes, the finding stays.
            FindingKind::DormantAccount | FindingKind::StaleInvitation => kind.code(),
            _ => {
                let ids: Vec<&str> = subjects.iter().map(|s| s.id.as_str()).collect();
                format!("{}:{}", kind.code(), ids.join(","))
            }
        };
        Self {
            key,
            kind,
            severity: kind.severity(),
            title,
            subjects,
            fix,
        }
    }

    /// The same finding under another key (when its subjects do not name it).
    pub(crate) fn keyed(mut self, what: &str) -> Self {
        self.key = format!("{}:{what}", self.kind.code());
        self
    }
}

/// A business's access health at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AccessHealth {
    /// 100 with no finding; each finding takes off 10 (high), 5 (medium) or 2 (low), down
    /// to 0.
    pub score: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub computed_at: OffsetDateTime,
    pub settings: AdvisorSettings,
    pub findings: Vec<Finding>,
    /// The daily scores, newest first (up to 90 days).
    pub history: Vec<DailyScore>,
}

/// The score `findings` add up to.
pub fn score(findings: &[Finding]) -> u32 {
    let lost: u32 = findings.iter().map(|f| f.severity.weight()).sum();
    100u32.saturating_sub(lost)
}
