//! What the access-health advisor reads beyond the engine's snapshot, and the little it
//! keeps: its thresholds, the daily score, when the weekly digest went out, who opted out.

use async_trait::async_trait;
use time::{Date, OffsetDateTime};

use crate::error::Result;
use crate::ids::{ApplicationId, BusinessId, UserId};
use crate::model::UserStatus;
use crate::types::Email;

/// A user as the advisor sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFact {
    pub id: UserId,
    pub email: Email,
    pub status: UserStatus,
    pub mfa_enrolled: bool,
    pub created_at: OffsetDateTime,
    pub activated_at: Option<OffsetDateTime>,
    /// The latest sign-in (from the audit trail), if any.
    pub last_sign_in: Option<OffsetDateTime>,
    /// When the oldest invitation still open (neither used nor revoked) was sent.
    pub invited_at: Option<OffsetDateTime>,
}

/// An application and when it was last used (a grant issued, or its service key used).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationFact {
    pub id: ApplicationId,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub last_used: Option<OffsetDateTime>,
}

/// The advisor's thresholds, per business (security settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AdvisorSettings {
    /// A sensitive permission held by more than this share of active users (percent) is a
    /// finding.
    pub sensitive_share_percent: u32,
    /// An active user without a sign-in for this many days who still holds access is
    /// dormant.
    pub dormant_days: u32,
    /// An invitation pending for longer than this many days is stale.
    pub invitation_days: u32,
    /// An API key or application unused for this many days is a finding.
    pub unused_days: u32,
}

impl Default for AdvisorSettings {
    fn default() -> Self {
        Self {
            sensitive_share_percent: 50,
            dormant_days: 90,
            invitation_days: 14,
            unused_days: 90,
        }
    }
}

/// One day's score of a business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct DailyScore {
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "calendar_date")]
    pub day: Date,
    pub score: u32,
    pub findings: u32,
}

/// A day as RFC 3339's `full-date` (`2026-12-01`), as the schema says (time's own serde
/// form is a `[year, ordinal]` pair).
fn calendar_date<S: serde::Serializer>(day: &Date, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(day)
}

/// A finding that stood at the advisor's last computation (see [`super::Finding::key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFinding {
    pub key: String,
    /// Its kind's code.
    pub kind: String,
    pub title: String,
    pub opened_at: OffsetDateTime,
}

#[async_trait]
pub trait AdvisorReads: Send + Sync {
    async fn list_user_facts(&self, business: BusinessId) -> Result<Vec<UserFact>>;
    async fn list_application_facts(&self, business: BusinessId) -> Result<Vec<ApplicationFact>>;
    /// The business's thresholds; the defaults when never set.
    async fn get_advisor_settings(&self, business: BusinessId) -> Result<AdvisorSettings>;
    /// The latest `limit` daily scores, newest first.
    async fn list_daily_scores(&self, business: BusinessId, limit: u32) -> Result<Vec<DailyScore>>;
    /// Stores (or replaces) the business's score of `score.day`. Not an audited change:
    /// a measurement, like a key's last use.
    async fn upsert_daily_score(&self, business: BusinessId, score: &DailyScore) -> Result<()>;
    /// Businesses with no score for `day` yet.
    async fn list_businesses_without_score(&self, day: Date) -> Result<Vec<BusinessId>>;
    /// Businesses whose weekly digest last went out before `before` (or never).
    async fn list_businesses_due_digest(&self, before: OffsetDateTime) -> Result<Vec<BusinessId>>;
    /// Users of the business who opted out of the weekly digest.
    async fn list_digest_opt_outs(&self, business: BusinessId) -> Result<Vec<UserId>>;
    /// The findings that stood at the last computation, by key.
    async fn list_open_findings(&self, business: BusinessId) -> Result<Vec<OpenFinding>>;
}

#[async_trait]
pub trait AdvisorWrites: Send {
    async fn update_advisor_settings(
        &mut self,
        business: BusinessId,
        settings: &AdvisorSettings,
    ) -> Result<()>;
    /// Records that the weekly digest went out at `at`.
    async fn set_digest_sent(&mut self, business: BusinessId, at: OffsetDateTime) -> Result<()>;
    /// Records a finding as open; false when it already was (another node or request
    /// recorded it first), so each opening is told once.
    async fn open_finding(&mut self, business: BusinessId, finding: &OpenFinding) -> Result<bool>;
    /// Forgets an open finding; false when it was not open (already resolved elsewhere).
    async fn resolve_finding(&mut self, business: BusinessId, key: &str) -> Result<bool>;
    /// Whether `user` receives the weekly digest.
    async fn set_digest_opt_out(
        &mut self,
        business: BusinessId,
        user: UserId,
        opted_out: bool,
    ) -> Result<()>;
}
