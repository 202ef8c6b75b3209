//! What every dashboard request starts from: the signed-in session, its principal and the
//! capability the page needs (checked here, before anything else), the navigation the user
//! may see, and how pages, refusals and errors are answered.

use askama::Template;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gatehouse_domain::Error;
use gatehouse_domain::auth::{Session, SessionStage};
use gatehouse_domain::catalog::Catalog;
use gatehouse_domain::model::{Business, User};
use gatehouse_domain::principal::{
    AnyMember, ApiKeysManage, ApplicationsManage, AuditView, BusinessAccess, BusinessPermission,
    GroupsManage, Principal, SettingsManage, UsersManage, UsersView, WebhooksManage,
};

use super::super::forms::slug_in_path;
use super::super::{CheckedForm, Page, page_session, redirect};
use super::fields::Fields;
pub(crate) use super::words::{describe, label, notice_text, right};
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
    pub(crate) applications_manage: bool,
    pub(crate) webhooks_manage: bool,
    /// Create and rename tenants: `settings.manage`, where the operator allows it.
    pub(crate) tenants_manage: bool,
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
    /// The problems of a submitted form, each shown beside its field.
    pub(crate) problems: super::super::problems::Problems,
    pub(crate) can: Can,
}

impl Chrome {
    /// Shows a submitted form's outcome: `error` above it, each of `problems` beside its
    /// field. Returns the page's status: the error's, 422 for problems, or 200.
    pub(crate) fn outcome(
        &mut self,
        error: Option<(StatusCode, String)>,
        problems: super::super::problems::Problems,
    ) -> StatusCode {
        let status = match &error {
            Some((s, _)) => *s,
            None if !problems.is_empty() => StatusCode::UNPROCESSABLE_ENTITY,
            None => StatusCode::OK,
        };
        self.error = error.map(|(_, t)| t);
        self.problems = problems;
        status
    }
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

/// A dashboard form post: its CSRF token checked first (by [`CheckedForm`], the one check
/// every form goes through), then the signed-in session ([`Dash::load`]) and the capability
/// `P` (without it, a refusal naming it) — every dashboard form handler takes this.
#[derive(Debug)]
pub(crate) struct DashForm<P = AnyMember>(
    pub(crate) Dash,
    pub(crate) BusinessAccess<P>,
    pub(crate) Fields,
);

impl<P: BusinessPermission> FromRequest<AppState> for DashForm<P> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let slug = slug_in_path(req.uri().path()).to_owned();
        let CheckedForm(browser, form) = CheckedForm::<Fields>::from_request(req, state).await?;
        let (d, access) = Dash::with::<P>(state, browser, &slug).await?;
        Ok(DashForm(d, access, form))
    }
}

impl Dash {
    /// The signed-in session of this business, or the answer that replaces the page.
    pub(crate) async fn load(state: &AppState, browser: Browser, slug: &str) -> Answer<Self> {
        let (session, business) =
            page_session(state, &browser, slug, &[SessionStage::Full]).await?;
        let gh = &state.gatehouse;
        let principal = match gh.session_principal(&session).await {
            Ok(p) => p,
            Err(Error::Unauthenticated) => {
                return Err(super::super::sign_in_first(&browser, slug));
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
            webhooks_manage: principal.authorize::<WebhooksManage>().is_ok(),
            applications_manage: principal.authorize::<ApplicationsManage>().is_ok(),
            tenants_manage: state.config.business_tenants
                && principal.authorize::<SettingsManage>().is_ok(),
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
            problems: Default::default(),
            can: self.can,
        }
    }

    /// An error as a dashboard page, in words a person can act on, with a way back.
    pub(crate) fn fail(&self, e: Error, section: &'static str) -> Response {
        let (status, text) = describe(self.catalog(), e);
        let title = match status {
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::NOT_FOUND => "Not found",
            s if s.is_client_error() => "That did not work",
            _ => "Something went wrong",
        };
        self.problem(status, title, text, section)
    }

    /// The dashboard's 404: an address inside it that leads nowhere.
    pub(crate) fn not_found_page(&self) -> Response {
        self.problem(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is no page at this address. It may have been mistyped, or what it showed no longer exists.".to_owned(),
            "",
        )
    }

    fn problem(
        &self,
        status: StatusCode,
        title: &str,
        text: String,
        section: &'static str,
    ) -> Response {
        let mut c = self.chrome(title, section);
        c.error = Some(text);
        let back = match section {
            "users" if self.can.users_view => Some((self.admin("/users"), "Back to Users")),
            "groups" if self.can.users_view => Some((self.admin("/groups"), "Back to User Groups")),
            "audit" if self.can.audit_view => Some((self.admin("/audit"), "Back to the audit log")),
            "api_keys" if self.can.api_keys_manage => {
                Some((self.admin("/api-keys"), "Back to API keys"))
            }
            "applications" if self.can.applications_manage => {
                Some((self.admin("/applications"), "Back to Applications"))
            }
            "tenants" => Some((self.admin("/tenants"), "Back to Tenants")),
            "access_reviews" => Some((self.admin("/access-reviews"), "Back to Access reviews")),
            "webhooks" if self.can.webhooks_manage => {
                Some((self.admin("/webhooks"), "Back to Webhooks"))
            }
            _ => None,
        }
        .unwrap_or_else(|| (self.admin(""), "Go to the dashboard's start page"));
        page_with(status, &Problem { c, back })
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
    back: (String, &'static str),
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
