//! What every dashboard request starts from: the signed-in session, its principal and the
//! capability the page needs (checked here, before anything else), the navigation the user
//! may see, and how pages, refusals and errors are answered.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gatehouse_domain::Error;
use gatehouse_domain::auth::{Session, SessionStage};
use gatehouse_domain::catalog::Catalog;
use gatehouse_domain::grants::{GrantScope, ScopedPermission};
use gatehouse_domain::model::{Business, User};
use gatehouse_domain::principal::{
    ApiKeysManage, AuditView, BusinessAccess, BusinessPermission, GroupsManage, Principal,
    SettingsManage, UsersManage, UsersView,
};

use super::super::{Page, explain, page_session, redirect};
use crate::browser::Browser;
use crate::state::AppState;

/// Which parts of the dashboard the user may use (what the navigation and buttons show).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Can {
    pub(crate) users_view: bool,
    pub(crate) users_manage: bool,
    pub(crate) groups_manage: bool,
    pub(crate) audit_view: bool,
    pub(crate) settings_manage: bool,
    pub(crate) api_keys_manage: bool,
}

/// The frame around every dashboard page.
#[derive(Debug, Clone)]
pub(crate) struct Chrome {
    pub(crate) title: String,
    pub(crate) business: String,
    /// `/b/<slug>`.
    pub(crate) base: String,
    pub(crate) me: String,
    pub(crate) me_name: String,
    pub(crate) csrf: String,
    /// The navigation entry to mark current.
    pub(crate) section: &'static str,
    pub(crate) notice: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) can: Can,
}

/// A signed-in dashboard request.
#[derive(Debug)]
pub(crate) struct Dash {
    pub(crate) state: AppState,
    pub(crate) slug: String,
    pub(crate) business: Business,
    pub(crate) session: Session,
    pub(crate) principal: Principal,
    pub(crate) me: User,
    pub(crate) csrf: String,
    pub(crate) can: Can,
    pub(crate) browser: Browser,
}

/// A handler's early answer (a redirect to sign-in, a refusal, an error page).
pub(crate) type Answer<T = Response> = Result<T, Response>;

impl Dash {
    /// The signed-in session of this business, or the answer that replaces the page.
    pub(crate) async fn load(state: &AppState, browser: Browser, slug: &str) -> Answer<Self> {
        let (session, business) =
            page_session(state, &browser, slug, &[SessionStage::Full]).await?;
        let gh = &state.gatehouse;
        let principal = match gh.session_principal(&session).await {
            Ok(p) => p,
            Err(Error::Unauthenticated) => {
                return Err(redirect(&format!("/b/{slug}/sign-in"), &[]));
            }
            Err(e) => return Err(super::super::internal(e)),
        };
        let me = gh
            .session_user(&session)
            .await
            .map_err(super::super::internal)?;
        let can = Can {
            users_view: principal.authorize::<UsersView>().is_ok(),
            users_manage: principal.authorize::<UsersManage>().is_ok(),
            groups_manage: principal.authorize::<GroupsManage>().is_ok(),
            audit_view: principal.authorize::<AuditView>().is_ok(),
            settings_manage: principal.authorize::<SettingsManage>().is_ok(),
            api_keys_manage: principal.authorize::<ApiKeysManage>().is_ok(),
        };
        let (csrf, _) = browser.csrf_for_form(state);
        Ok(Self {
            state: state.clone(),
            slug: slug.to_owned(),
            business,
            session,
            principal,
            me,
            csrf,
            can,
            browser,
        })
    }

    /// [`Dash::load`], then the capability `P`; without it, a refusal naming it.
    pub(crate) async fn with<P: BusinessPermission>(
        state: &AppState,
        browser: Browser,
        slug: &str,
    ) -> Answer<(Self, BusinessAccess<P>)> {
        let d = Self::load(state, browser, slug).await?;
        match d.principal.authorize::<P>() {
            Ok(access) => Ok((d, access)),
            Err(e) => Err(d.fail(e, "users")),
        }
    }

    /// For a form post: the CSRF token first, then [`Dash::with`].
    pub(crate) async fn post<P: BusinessPermission>(
        state: &AppState,
        browser: Browser,
        slug: &str,
        csrf: &str,
    ) -> Answer<(Self, BusinessAccess<P>)> {
        if !browser.csrf_ok(csrf) {
            return Err(super::super::csrf_refused(slug));
        }
        Self::with::<P>(state, browser, slug).await
    }

    pub(crate) fn catalog(&self) -> &Catalog {
        self.state.gatehouse.catalog()
    }

    pub(crate) fn base(&self) -> String {
        format!("/b/{}", self.slug)
    }

    /// `/b/<slug>/admin<rest>`.
    pub(crate) fn admin(&self, rest: &str) -> String {
        format!("/b/{}/admin{rest}", self.slug)
    }

    pub(crate) fn chrome(&self, title: &str, section: &'static str) -> Chrome {
        Chrome {
            title: title.to_owned(),
            business: self.business.name.to_string(),
            base: self.base(),
            me: self.me.email.to_string(),
            me_name: self.me.display_name.to_string(),
            csrf: self.csrf.clone(),
            section,
            notice: None,
            error: None,
            can: self.can,
        }
    }

    /// An error as a dashboard page, in words a person can act on.
    pub(crate) fn fail(&self, e: Error, section: &'static str) -> Response {
        let (status, text) = describe(self.catalog(), e);
        let mut c = self.chrome(
            if status == StatusCode::FORBIDDEN {
                "Not allowed"
            } else {
                "Something went wrong"
            },
            section,
        );
        c.error = Some(text);
        page_with(status, &Problem { c })
    }

    /// A 303 back to `path` with the notice `code` shown there.
    pub(crate) fn done(&self, path: &str, code: &str) -> Response {
        let sep = if path.contains('?') { '&' } else { '?' };
        redirect(&format!("{path}{sep}notice={code}"), &[])
    }
}

#[derive(Template)]
#[template(path = "dashboard/problem.html")]
struct Problem {
    c: Chrome,
}

/// A rendered dashboard page: the usual hardening, plus our own script.
pub(crate) fn page_with(status: StatusCode, template: &impl Template) -> Response {
    let mut response = Page::with_status(status, template).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    response
}

pub(crate) fn page(template: &impl Template) -> Response {
    page_with(StatusCode::OK, template)
}

/// A permission's label, e.g. `Delete Verification`, or its key when unknown.
pub(crate) fn label(catalog: &Catalog, key: &str) -> String {
    catalog
        .get(key)
        .map_or_else(|| key.to_owned(), |d| d.label.clone())
}

/// `live:verification.delete` → `Delete Verification in Live`.
pub(crate) fn right(catalog: &Catalog, scoped: &ScopedPermission) -> String {
    let place = match scoped.scope {
        GrantScope::Live => " in Live",
        GrantScope::Sandbox => " in Sandbox",
        GrantScope::Business => "",
    };
    format!("{}{place}", label(catalog, scoped.permission.as_str()))
}

/// The status and sentence of an error, naming rights by their labels.
pub(crate) fn describe(catalog: &Catalog, e: Error) -> (StatusCode, String) {
    match e {
        Error::WouldEscalate { missing } => (
            StatusCode::FORBIDDEN,
            format!(
                "You cannot grant a right you do not hold yourself. Missing: {}.",
                missing
                    .iter()
                    .map(|m| right(catalog, m))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        Error::PermissionDenied { permission } => (
            StatusCode::FORBIDDEN,
            format!(
                "This needs the “{}” permission ({permission}), which you do not have. Ask an administrator of your business.",
                label(catalog, &permission)
            ),
        ),
        Error::SensitiveGrantUnacknowledged { permissions } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "Confirm that you mean to grant the sensitive permissions: {}.",
                permissions
                    .iter()
                    .map(|p| right(catalog, p))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        other => {
            let (status, text, _) = explain(other);
            (status, text)
        }
    }
}

/// The sentence a notice code stands for (codes, not text, travel in the address).
pub(crate) fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "invited" => "Invitation sent.",
        "user_saved" => "User saved.",
        "deactivated" => "User deactivated; their sessions have ended.",
        "reactivated" => "User reactivated.",
        "password_reset" => "Password reset link sent; the user's sessions have ended.",
        "mfa_reset" => "Two-step verification reset; the user's sessions have ended.",
        "invitation_resent" => "A new invitation was sent; the previous link no longer works.",
        "invitation_revoked" => "Invitation revoked; the link no longer works.",
        "unlocked" => "User unlocked.",
        "group_created" => "Group created.",
        "group_saved" => "Group saved.",
        "group_deleted" => "Group deleted.",
        "member_added" => "Member added.",
        "member_removed" => "Member removed.",
        "settings_saved" => "Security settings saved.",
        "key_revoked" => "API key revoked; it no longer works.",
        "password_changed" => "Password changed; your other sessions have ended.",
        "session_revoked" => "Session signed out.",
        _ => return None,
    })
}

/// `/b/{slug}/admin`: the first page the user may see.
pub(crate) async fn home(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
) -> Response {
    match Dash::load(&s, browser, &slug).await {
        Ok(d) if d.can.users_view => redirect(&d.admin("/users"), &[]),
        Ok(d) => redirect(&d.admin("/profile"), &[]),
        Err(answer) => answer,
    }
}
