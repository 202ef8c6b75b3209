//! The "Access health" page: the advisor's score, its daily history, every finding with
//! who or what it involves and a link to the fix, the CSV export, the weekly digest opt-in,
//! and saving the thresholds from the security settings page.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use gatehouse_domain::principal::{AuditView, SettingsManage};
use gatehouse_domain::services::advisor::{
    AccessHealth, AdvisorSettingsPatch, Subject, THRESHOLD_BOUNDS,
};

use super::audit_export::csv_field;
use super::context::{Answer, Chrome, Dash, DashForm, notice_text, page};
use super::fields::Params;
use crate::browser::Browser;
use crate::state::AppState;

struct FindingRow {
    severity: &'static str,
    kind: String,
    title: String,
    subjects: Vec<(String, String)>,
    fix: String,
}

struct DayRow {
    day: String,
    score: u32,
    findings: u32,
}

#[derive(Template)]
#[template(path = "dashboard/access_health.html")]
struct HealthPage {
    c: Chrome,
    score: u32,
    rows: Vec<FindingRow>,
    history: Vec<DayRow>,
    digest: bool,
}

/// Where a subject's page is, under the dashboard.
fn subject_link(d: &Dash, s: &Subject) -> String {
    match s.kind {
        "user" => d.admin(&format!("/users/{}", s.id)),
        "group" => d.admin(&format!("/groups/{}", s.id)),
        "application" => d.admin(&format!("/applications/{}", s.id)),
        _ => d.admin("/api-keys"),
    }
}

/// The report as CSV: one row per finding and subject (the API serves the same).
pub(crate) fn access_health_csv(report: &AccessHealth) -> String {
    let mut out = String::from("severity,finding,title,subject_kind,subject_id,subject,fix\r\n");
    for f in &report.findings {
        let none = [Subject {
            kind: "",
            id: String::new(),
            label: String::new(),
        }];
        let subjects = if f.subjects.is_empty() {
            &none[..]
        } else {
            &f.subjects[..]
        };
        for s in subjects {
            let fields = [
                f.severity.as_str(),
                &f.kind.code(),
                &f.title,
                s.kind,
                &s.id,
                &s.label,
                &f.fix,
            ];
            let line: Vec<String> = fields.iter().map(|x| csv_field(x)).collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

/// The Access health page. Requires `audit.view`.
pub(crate) async fn access_health_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Answer {
    let (d, access) = Dash::with::<AuditView>(&s, browser, &slug).await?;
    let fail = |e| d.fail(e, "access_health");
    let report = s.gatehouse.access_health(&access).await.map_err(fail)?;
    let digest = s
        .gatehouse
        .access_health_digest(&access)
        .await
        .map_err(fail)?;
    let mut c = d.chrome("Access health", "access_health");
    c.notice = notice_text(q.get("notice")).map(str::to_owned);
    let rows = report
        .findings
        .iter()
        .map(|f| FindingRow {
            severity: f.severity.as_str(),
            kind: f.kind.code(),
            title: f.title.clone(),
            subjects: f
                .subjects
                .iter()
                .map(|x| (x.label.clone(), subject_link(&d, x)))
                .collect(),
            fix: d.admin(&f.fix),
        })
        .collect();
    let history = report
        .history
        .iter()
        .map(|h| DayRow {
            day: h.day.to_string(),
            score: h.score,
            findings: h.findings,
        })
        .collect();
    Ok(page(&HealthPage {
        c,
        score: report.score,
        rows,
        history,
        digest,
    }))
}

/// The findings as CSV. Requires `audit.view`.
pub(crate) async fn export_csv(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
) -> Answer {
    let (d, access) = Dash::with::<AuditView>(&s, browser, &slug).await?;
    let report = s
        .gatehouse
        .access_health(&access)
        .await
        .map_err(|e| d.fail(e, "access_health"))?;
    let mut r = access_health_csv(&report).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let name = format!("attachment; filename=\"access-health-{}.csv\"", d.slug);
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// Turns the caller's weekly digest on or off. Requires `audit.view`.
pub(crate) async fn save_digest(
    State(s): State<AppState>,
    DashForm(d, access, form): DashForm<AuditView>,
) -> Answer {
    let receive = form.get("receive") == "yes";
    s.gatehouse
        .set_access_health_digest(&access, &d.browser.ctx, receive)
        .await
        .map_err(|e| d.fail(e, "access_health"))?;
    Ok(d.done(&d.admin("/access-health"), "digest_saved"))
}

/// Saves the advisor's thresholds (a form of the security settings page). Requires
/// `settings.manage`.
pub(crate) async fn save_thresholds(
    State(s): State<AppState>,
    DashForm(d, access, form): DashForm<SettingsManage>,
) -> Answer {
    let mut values = [None; 4];
    for (slot, (field, least, most)) in values.iter_mut().zip(THRESHOLD_BOUNDS) {
        match form.get(field).parse::<u32>() {
            Ok(v) => *slot = Some(v),
            Err(_) => {
                let e = gatehouse_domain::Error::invalid(
                    "invalid_threshold",
                    "threshold",
                    format!("{field} must be a whole number from {least} to {most}"),
                );
                return Err(d.fail(e, "settings"));
            }
        }
    }
    let patch = AdvisorSettingsPatch {
        sensitive_share_percent: values[0],
        dormant_days: values[1],
        invitation_days: values[2],
        unused_days: values[3],
    };
    match s
        .gatehouse
        .update_advisor_settings(&access, &d.browser.ctx, patch)
        .await
    {
        Ok(_) => Ok(d.done(&d.admin("/settings"), "thresholds_saved")),
        Err(e) => Err(d.fail(e, "settings")),
    }
}
