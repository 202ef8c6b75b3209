//! The access-health advisor: the seed's best practices (no sensitive permission for
//! everyone, MFA for everyone with Live access, descriptive groups, regular clean-up) as a
//! live report per business, computed from the engine's snapshot and a few store facts; a
//! score per day so a falling score shows; a weekly digest to administrators.

mod digest;
mod findings;
pub mod report;
pub mod store;
mod tracking;

use serde_json::json;
use time::Duration;

use super::{Audit, Gatehouse};
use crate::audit::RequestContext;
use crate::error::{Error, Result};
use crate::ids::BusinessId;
use crate::principal::{AuditView, BusinessAccess, SettingsManage};
pub use report::{AccessHealth, Finding, FindingKind, Severity, Subject, score};
pub use store::{
    AdvisorReads, AdvisorSettings, AdvisorWrites, ApplicationFact, DailyScore, OpenFinding,
    UserFact,
};

/// How many daily scores the report shows.
const HISTORY_DAYS: u32 = 90;

/// A partial update of the thresholds; `None` leaves one as it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct AdvisorSettingsPatch {
    pub sensitive_share_percent: Option<u32>,
    pub dormant_days: Option<u32>,
    pub invitation_days: Option<u32>,
    pub unused_days: Option<u32>,
}

/// The bounds of each threshold: (field, least, most).
pub const THRESHOLD_BOUNDS: [(&str, u32, u32); 4] = [
    ("sensitive_share_percent", 1, 100),
    ("dormant_days", 1, 3650),
    ("invitation_days", 1, 365),
    ("unused_days", 1, 3650),
];

impl AdvisorSettingsPatch {
    fn apply(self, mut s: AdvisorSettings) -> Result<AdvisorSettings> {
        let fields = [
            (self.sensitive_share_percent, &mut s.sensitive_share_percent),
            (self.dormant_days, &mut s.dormant_days),
            (self.invitation_days, &mut s.invitation_days),
            (self.unused_days, &mut s.unused_days),
        ];
        for ((new, slot), (field, least, most)) in fields.into_iter().zip(THRESHOLD_BOUNDS) {
            if let Some(v) = new {
                if !(least..=most).contains(&v) {
                    return Err(Error::invalid(
                        "invalid_threshold",
                        field,
                        format!("must be {least} to {most}"),
                    ));
                }
                *slot = v;
            }
        }
        Ok(s)
    }
}

impl Gatehouse {
    /// The findings of a business now, and the thresholds they used.
    async fn compute_findings(
        &self,
        business: BusinessId,
    ) -> Result<(Vec<Finding>, AdvisorSettings)> {
        let now = self.now();
        let store = self.store();
        let snap = self.engine.snapshot_or_load(store, business).await?;
        let settings = store.get_advisor_settings(business).await?;
        let users = store.list_user_facts(business).await?;
        let groups = store.list_groups(business).await?;
        let api_keys = store.list_api_keys(business).await?;
        let applications = store.list_application_facts(business).await?;
        let facts = findings::Facts {
            snap: &snap,
            perms: self.engine.permissions(),
            catalog: self.catalog(),
            settings,
            now,
            users: &users,
            groups: &groups,
            api_keys: &api_keys,
            applications: &applications,
        };
        Ok((findings::findings(&facts), settings))
    }

    /// Computes the findings, stores them as today's score and records those that opened
    /// or were resolved since the last computation.
    async fn score_today(&self, business: BusinessId) -> Result<(Vec<Finding>, AdvisorSettings)> {
        let (found, settings) = self.compute_findings(business).await?;
        self.track_findings(business, &found).await?;
        let today = DailyScore {
            day: self.now().date(),
            score: score(&found),
            findings: u32::try_from(found.len()).unwrap_or(u32::MAX),
        };
        self.store().upsert_daily_score(business, &today).await?;
        Ok((found, settings))
    }

    /// The business's access health now, with its score history (today's score is
    /// brought up to date). Requires `audit.view`.
    pub async fn access_health(&self, access: &BusinessAccess<AuditView>) -> Result<AccessHealth> {
        let business = access.business_id();
        let (found, settings) = self.score_today(business).await?;
        Ok(AccessHealth {
            score: score(&found),
            computed_at: self.now(),
            settings,
            findings: found,
            history: self
                .store()
                .list_daily_scores(business, HISTORY_DAYS)
                .await?,
        })
    }

    /// Records today's score of every business that has none yet (run by `gatehouse
    /// serve`'s housekeeping); how many.
    pub async fn record_daily_scores(&self) -> Result<usize> {
        let due = self
            .store()
            .list_businesses_without_score(self.now().date())
            .await?;
        for business in &due {
            self.score_today(*business).await?;
        }
        Ok(due.len())
    }

    pub async fn get_advisor_settings(
        &self,
        access: &BusinessAccess<SettingsManage>,
    ) -> Result<AdvisorSettings> {
        self.store()
            .get_advisor_settings(access.business_id())
            .await
    }

    /// Changes the advisor's thresholds (audited). Requires `settings.manage`.
    pub async fn update_advisor_settings(
        &self,
        access: &BusinessAccess<SettingsManage>,
        ctx: &RequestContext,
        patch: AdvisorSettingsPatch,
    ) -> Result<AdvisorSettings> {
        let business = access.business_id();
        let before = self.store().get_advisor_settings(business).await?;
        let after = patch.apply(before)?;
        if after == before {
            return Ok(before);
        }
        let mut tx = self.store().begin().await?;
        tx.update_advisor_settings(business, &after).await?;
        let audit = Audit::new(self.now(), Some(business), access.actor(), ctx);
        let event = audit.event(
            "settings.advisor_changed",
            (
                "business",
                business.to_string(),
                "access health thresholds".to_owned(),
            ),
            Some(json!(before)),
            Some(json!(after)),
        );
        self.commit(tx, vec![event]).await?;
        Ok(after)
    }
}

/// How often the digest goes out.
pub const DIGEST_EVERY: Duration = Duration::days(7);
