//! One user's page: details, groups, live sessions, recent audit events, and the effective
//! permission matrix (tenants × Live/Sandbox × permissions) with the groups that grant
//! each cell, rendered from the engine's effective-permissions view.

use askama::Template;
use axum::extract::{Path, State};
use gatehouse_domain::Error;
use gatehouse_domain::audit::AuditFilter;
use gatehouse_domain::ids::UserId;
use gatehouse_domain::principal::{AuditView, UsersView};

use super::audit::{EventRow, event_row};
use super::context::{Answer, Chrome, Dash, notice_text, page};
use super::delivery::{DeliveryView, delivery_view};
use super::fields::Params;
use super::matrix::{Effective, effective};
use super::user_actions::{Action, actions_for, who};
use super::users::{status_label, tenants_of};
use crate::browser::Browser;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "dashboard/user.html")]
struct UserPage {
    c: Chrome,
    id: String,
    email: String,
    name: String,
    status: &'static str,
    status_label: &'static str,
    mfa: bool,
    created: String,
    activated: String,
    groups: Vec<(String, String)>,
    sessions: usize,
    actions: Vec<Action>,
    events: Option<Vec<EventRow>>,
    m: Effective,
    invitation: Option<super::invitations::Invitation>,
    tenant_filter: String,
    active: bool,
    mfa_blocks_live: bool,
    /// Failed sign-ins in a row and any hold, in words; empty when there are none.
    sign_in_hold: String,
    /// The invitation mail's delivery, for a pending user.
    delivery: Option<DeliveryView>,
}

/// A time as pages show it: UTC, to the second.
pub(crate) fn when(t: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    t.to_offset(time::UtcOffset::UTC)
        .format(&f)
        .unwrap_or_default()
}

/// A user's page. Requires `users.view`; recent events also `audit.view`.
pub(crate) async fn user_page(
    State(s): State<AppState>,
    browser: Browser,
    Path((slug, id)): Path<(String, String)>,
    q: Params,
) -> Answer {
    let (d, access) = Dash::with::<UsersView>(&s, browser, &slug).await?;
    let gh = &s.gatehouse;
    let fail = |e| d.fail(e, "users");
    let id: UserId = id.parse().map_err(|_| fail(Error::UserNotFound))?;
    let u = gh.get_user(&access, id).await.map_err(fail)?;
    let sessions = gh.count_user_sessions(&access, id).await.map_err(fail)?;
    let delivery = gh.invitation_delivery(&access, id).await.map_err(fail)?;
    let eff = gh
        .user_effective_permissions(&access, id)
        .await
        .map_err(fail)?;
    let hold = gh.sign_in_hold(&access, id).await.map_err(fail)?;
    let sign_in_hold = match (hold.failed_attempts, hold.until) {
        (0, None) => String::new(),
        (n, None) => format!("{n} failed sign-in attempt(s) in a row."),
        (n, Some(t)) => format!(
            "{n} failed sign-in attempt(s) in a row: no attempt is accepted before {}. Unlock (API: POST /api/v1/users/{id}/unlock) clears it now.",
            when(t)
        ),
    };
    let tenants = tenants_of(&d).await?;
    let events = match d.principal.authorize::<AuditView>() {
        Ok(audit) => {
            let filter = AuditFilter {
                target_id: Some(id.to_string()),
                ..AuditFilter::default()
            };
            let page = gh
                .list_audit_events(&audit, filter, None, 10)
                .await
                .map_err(fail)?;
            let names = super::audit::names(&d, &page.items).await;
            Some(
                page.items
                    .iter()
                    .map(|e| event_row(&d, &names, e))
                    .collect(),
            )
        }
        Err(_) => None,
    };
    let invitation = super::invitations::invitations(&d, &access, &[&u])
        .await
        .remove(&u.id.to_string());
    let mut c = d.chrome(&who(&u), "users");
    c.notice = notice_text(q.get("notice")).map(str::to_owned);
    Ok(page(&UserPage {
        id: u.id.to_string(),
        email: u.email.to_string(),
        name: u.display_name.to_string(),
        status: u.status.as_str(),
        status_label: status_label(u.status),
        mfa: u.mfa_enrolled,
        created: when(u.created_at),
        activated: u.activated_at.map(when).unwrap_or_default(),
        groups: u
            .groups
            .iter()
            .map(|g| (g.id.to_string(), g.name.to_string()))
            .collect(),
        sessions,
        actions: actions_for(&d, &u),
        events,
        m: effective(d.catalog(), &eff, &tenants, q.get("tenants")),
        tenant_filter: q.get("tenants").to_owned(),
        invitation,
        active: eff.active,
        mfa_blocks_live: eff.mfa_required_for_live,
        sign_in_hold,
        delivery: delivery.as_ref().map(delivery_view),
        c,
    }))
}
