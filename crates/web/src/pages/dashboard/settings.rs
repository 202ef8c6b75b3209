//! Security settings: the MFA policy (everyone, users with Live access, or off), the passkey
//! policy and their grace period, with what each choice means for the business's users now; and the
//! session and password rules the deployment's configuration sets.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_domain::authz::MfaExposure;
use gatehouse_domain::model::{MfaPolicy, PasskeyPolicy, SecuritySettings};
use gatehouse_domain::principal::SettingsManage;
use gatehouse_domain::services::SettingsPatch;

use super::super::problems::{FieldMap, Problems};
use super::context::{Answer, Chrome, Dash, DashForm, describe, notice_text, page_with};
use super::fields::{Fields, Params};
use crate::browser::Browser;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "dashboard/settings.html")]
struct SettingsPage {
    c: Chrome,
    policy: &'static str,
    passkey_policy: &'static str,
    grace_days: String,
    e: MfaExposure,
    effect: String,
    idle_minutes: i64,
    absolute_hours: i64,
    min_chars: usize,
    advisor: gatehouse_domain::services::advisor::AdvisorSettings,
}

/// What the current policy does, in a sentence with the numbers.
fn effect(s: &SecuritySettings, e: &MfaExposure) -> String {
    let grace = match s.mfa_grace_days {
        0 => "now".to_owned(),
        1 => "after a grace period of 1 day".to_owned(),
        n => format!("after a grace period of {n} days"),
    };
    let users = |n: usize| {
        if n == 1 {
            "1 user".to_owned()
        } else {
            format!("{n} users")
        }
    };
    match s.mfa_policy {
        MfaPolicy::All if e.without_mfa == 0 => {
            "Every active user has two-step verification.".to_owned()
        }
        MfaPolicy::All => format!(
            "{} have no two-step verification: they must set it up at their next sign-in, and their access is denied {grace} until they do.",
            users(e.without_mfa)
        ),
        MfaPolicy::LiveAccess if e.live_without_mfa == 0 => format!(
            "All {} with Live access have two-step verification.",
            users(e.live_users)
        ),
        MfaPolicy::LiveAccess => format!(
            "{} with Live access have no two-step verification: their Live access is denied {grace} until they set it up.",
            users(e.live_without_mfa)
        ),
        MfaPolicy::Off => format!(
            "Nobody is required to use two-step verification; {} (of them {} with Live access) have none.",
            users(e.without_mfa),
            e.live_without_mfa
        ),
    }
}

async fn render(
    d: &Dash,
    access: &gatehouse_domain::principal::BusinessAccess<SettingsManage>,
    form: Option<&Fields>,
    error: Result<Option<(StatusCode, String)>, Problems>,
    notice: Option<&str>,
) -> Answer {
    let gh = &d.state.gatehouse;
    let fail = |e| d.fail(e, "settings");
    let settings = gh.get_security_settings(access).await.map_err(fail)?;
    let exposure = gh.mfa_exposure(access).await.map_err(fail)?;
    let advisor = gh.get_advisor_settings(access).await.map_err(fail)?;
    let config = gh.auth_config();
    let mut c = d.chrome("Security settings", "settings");
    let status = match &error {
        Ok(Some((s, _))) => *s,
        Ok(None) => StatusCode::OK,
        Err(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    match error {
        Ok(e) => c.error = e.map(|(_, t)| t),
        Err(p) => c.problems = p,
    }
    c.notice = notice.map(str::to_owned);
    Ok(page_with(
        status,
        &SettingsPage {
            policy: form
                .and_then(|f| MfaPolicy::parse(f.get("mfa_policy")))
                .unwrap_or(settings.mfa_policy)
                .as_str(),
            passkey_policy: form
                .and_then(|f| PasskeyPolicy::parse(f.get("passkey_policy")))
                .unwrap_or(settings.passkey_policy)
                .as_str(),
            grace_days: form.map_or_else(
                || settings.mfa_grace_days.to_string(),
                |f| f.get("mfa_grace_days").to_owned(),
            ),
            effect: effect(&settings, &exposure),
            e: exposure,
            idle_minutes: config.session_idle.whole_minutes(),
            absolute_hours: config.session_absolute.whole_hours(),
            min_chars: config.password.min_chars,
            advisor,
            c,
        },
    ))
}

/// The security settings. Requires `settings.manage`.
pub(crate) async fn settings_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Answer {
    let (d, access) = Dash::with::<SettingsManage>(&s, browser, &slug).await?;
    render(&d, &access, None, Ok(None), notice_text(q.get("notice"))).await
}

/// Saves the MFA policy, the passkey policy and the grace period. Requires `settings.manage`.
pub(crate) async fn save_settings(
    State(s): State<AppState>,
    DashForm(d, access, form): DashForm<SettingsManage>,
) -> Answer {
    let mut problems = Problems::default();
    let policy = MfaPolicy::parse(form.get("mfa_policy"));
    if policy.is_none() {
        problems.add("p-all", "Choose who must use two-step verification.");
    }
    let days = form
        .get("mfa_grace_days")
        .parse::<u32>()
        .ok()
        .filter(|d| *d <= 90);
    if days.is_none() {
        problems.add(
            "grace",
            "Grace period must be a whole number of days from 0 to 90.",
        );
    }
    let (Some(policy), Some(days)) = (policy, days) else {
        return render(&d, &access, Some(&form), Err(problems), None).await;
    };
    let patch = SettingsPatch {
        mfa_policy: Some(policy),
        // Absent (an older form): unchanged.
        passkey_policy: PasskeyPolicy::parse(form.get("passkey_policy")),
        mfa_grace_days: Some(days),
    };
    match s
        .gatehouse
        .update_security_settings(&access, &d.browser.ctx, patch)
        .await
    {
        Ok(_) => Ok(d.done(&d.admin("/settings"), "settings_saved")),
        Err(e) => {
            let fields: FieldMap<'_> = &[("mfa_grace_days", "grace", "Grace period")];
            match problems.take(e, fields) {
                None => render(&d, &access, Some(&form), Err(problems), None).await,
                Some(e) => {
                    let err = describe(d.catalog(), e);
                    render(&d, &access, Some(&form), Ok(Some(err)), None).await
                }
            }
        }
    }
}
