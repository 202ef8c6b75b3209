//! The pages a person uses in a browser: the landing page, sign-in, the second factor and
//! its enrolment, passkeys, accepting an invitation, forgotten and reset passwords, their own account
//! (sessions, password, recovery codes), signing out, first-start setup. Server-rendered (askama),
//! plain accessible HTML that works without JavaScript; forms post back and redirect.
//! Every form carries a CSRF token; GET never changes anything.

mod account;
mod account_requests;
mod answers;
mod assets;
mod dashboard;
mod forms;
mod landing;
mod links;
mod next;
mod operator;
mod passkey_sign_in;
mod problems;
mod setup;
mod sign_in;
mod step_up;
pub(crate) use dashboard::{access_health_csv, encode, review_report_csv};
pub(crate) use forms::{CheckedForm, CsrfToken};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use gatehouse_domain::Error;
use gatehouse_domain::auth::{Session, SessionStage};
use gatehouse_domain::model::Business;

use crate::browser::Browser;
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/gatehouse.css", get(assets::stylesheet))
        .route("/static/passkeys.js", get(assets::passkeys_script))
        .route("/", get(landing::landing))
        .route(
            "/sign-in",
            get(landing::find_business).post(landing::find_business_post),
        )
        .route(
            "/b/{slug}/sign-in",
            get(sign_in::sign_in_page).post(sign_in::sign_in),
        )
        .route(
            "/b/{slug}/mfa",
            get(sign_in::mfa_page).post(sign_in::verify_mfa),
        )
        .route(
            "/b/{slug}/sign-in/passkey",
            post(passkey_sign_in::sign_in_with_passkey),
        )
        .route(
            "/b/{slug}/mfa/passkey",
            post(passkey_sign_in::verify_mfa_passkey),
        )
        .route(
            "/b/{slug}/mfa/enrol",
            get(sign_in::enrol_page).post(sign_in::confirm_enrolment),
        )
        .route("/b/{slug}/sign-out", post(sign_in::sign_out))
        .route(
            "/b/{slug}/invitation/{token}",
            get(links::invitation_page).post(links::accept_invitation),
        )
        .route(
            "/b/{slug}/forgot-password",
            get(links::forgot_page).post(links::forgot),
        )
        .route(
            "/b/{slug}/reset-password/{token}",
            get(links::reset_page).post(links::reset),
        )
        .merge(account::routes::<account::Plain>("/b/{slug}/account"))
        .route(
            "/b/{slug}/step-up",
            get(step_up::step_up_page).post(step_up::step_up),
        )
        .route("/setup/{token}", get(setup::setup_page).post(setup::setup))
        .merge(dashboard::routes())
        .merge(operator::routes())
}

/// What every page shows around its content.
#[derive(Debug, Default)]
pub(crate) struct PageMeta {
    pub(crate) title: String,
    pub(crate) business: String,
    /// `/b/<slug>`: where this business's pages live.
    pub(crate) base: String,
    pub(crate) csrf: String,
    pub(crate) error: Option<String>,
    pub(crate) notice: Option<String>,
    /// The problems of a submitted form, each shown beside its field.
    pub(crate) problems: problems::Problems,
}

impl PageMeta {
    pub(crate) fn new(title: &str, slug: &str, business: Option<&Business>, csrf: String) -> Self {
        Self {
            title: title.to_owned(),
            business: business.map(|b| b.name.to_string()).unwrap_or_default(),
            base: format!("/b/{slug}"),
            csrf,
            error: None,
            notice: None,
            problems: problems::Problems::default(),
        }
    }
}

/// An HTML answer: status, body, cookies to set.
#[derive(Debug)]
pub(crate) struct Page {
    status: StatusCode,
    html: String,
    cookies: Vec<String>,
    retry_after: Option<u64>,
    /// An origin this page's forms may end up at (the application an OpenID Connect sign-in
    /// returns to), besides our own: browsers apply `form-action` to the redirects that
    /// follow a form's submission.
    form_action: Option<String>,
}

impl Page {
    pub(crate) fn ok(template: &impl askama::Template) -> Self {
        Self::with_status(StatusCode::OK, template)
    }

    pub(crate) fn with_status(status: StatusCode, template: &impl askama::Template) -> Self {
        match template.render() {
            Ok(html) => Self {
                status,
                html,
                cookies: Vec::new(),
                retry_after: None,
                form_action: None,
            },
            Err(e) => {
                tracing::error!(error = %e, "a page failed to render");
                Self {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    html: "<!doctype html><title>Error</title><p>Internal error; see the server log.</p>".to_owned(),
                    cookies: Vec::new(),
                    retry_after: None,
                    form_action: None,
                }
            }
        }
    }

    pub(crate) fn cookie(mut self, cookie: Option<String>) -> Self {
        self.cookies.extend(cookie);
        self
    }

    /// The same page under another status (an error's).
    pub(crate) fn with_code(mut self, status: StatusCode) -> Self {
        if self.status.is_success() || self.status.is_client_error() {
            self.status = status;
        }
        self
    }

    pub(crate) fn retry_after(mut self, secs: Option<u64>) -> Self {
        self.retry_after = secs;
        self
    }

    /// Lets this page's forms lead (through redirects) to `origin` too.
    pub(crate) fn form_action(mut self, origin: Option<String>) -> Self {
        self.form_action = origin;
        self
    }
}

/// The content security policy of every page.
const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Headers every page gets: no caching of pages with secrets, no framing, no referrer to
/// other sites (links carry tokens), nothing loaded from elsewhere. `same-origin`, not
/// `no-referrer`: under `no-referrer` browsers send `Origin: null` on every form post,
/// which the CSRF origin check must refuse.
fn harden(response: &mut Response) {
    let h = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CONTENT_SECURITY_POLICY, CSP),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
}

fn set_cookies(response: &mut Response, cookies: &[String]) {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            self.html,
        )
            .into_response();
        harden(&mut response);
        if let Some(origin) = &self.form_action {
            let csp = CSP.replace(
                "form-action 'self'",
                &format!("form-action 'self' {origin}"),
            );
            if let Ok(v) = HeaderValue::from_str(&csp) {
                response
                    .headers_mut()
                    .insert(header::CONTENT_SECURITY_POLICY, v);
            }
        }
        set_cookies(&mut response, &self.cookies);
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// A 303 to `to`, setting `cookies`.
pub(crate) fn redirect(to: &str, cookies: &[String]) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response();
    harden(&mut response);
    set_cookies(&mut response, cookies);
    response
}

/// How an error shows on a page: its status, a sentence, and `Retry-After` for 429.
pub(crate) fn explain(err: Error) -> (StatusCode, String, Option<u64>) {
    let api = ApiError::from(err);
    (api.status, api.message, api.retry_after)
}

#[derive(askama::Template)]
#[template(path = "message.html")]
pub(crate) struct Message {
    pub(crate) p: PageMeta,
    pub(crate) text: String,
    pub(crate) link: Option<(String, String)>,
}

/// A page that only says something.
pub(crate) fn message(
    status: StatusCode,
    p: PageMeta,
    text: &str,
    link: Option<(String, &str)>,
) -> Page {
    Page::with_status(
        status,
        &Message {
            p,
            text: text.to_owned(),
            link: link.map(|(href, label)| (href, label.to_owned())),
        },
    )
}

/// The business a page's slug names.
pub(crate) async fn business_of(state: &AppState, slug: &str) -> Result<Option<Business>, Error> {
    match gatehouse_domain::types::Slug::parse(slug) {
        Ok(s) => state.gatehouse.business_by_slug(&s).await,
        Err(_) => Ok(None),
    }
}

/// The session of a page that needs one at stage `need`. Without a live session of this
/// business: back to sign-in. At another stage: a full session is sent on, a half-signed-in
/// one gets 401 (it may only finish signing in).
pub(crate) async fn page_session(
    state: &AppState,
    browser: &Browser,
    slug: &str,
    need: &[SessionStage],
) -> Result<(Session, Business), Response> {
    let sign_in = || sign_in_first(browser, slug);
    let business = match business_of(state, slug).await {
        Ok(Some(b)) => b,
        Ok(None) => return Err(not_found(slug)),
        Err(e) => return Err(internal(e)),
    };
    let Some(token) = &browser.session else {
        return Err(sign_in());
    };
    let session = match state.gatehouse.authenticate_session(token).await {
        Ok(s) if s.business_id == business.id => s,
        Ok(_) | Err(Error::Unauthenticated) => return Err(sign_in()),
        Err(e) => return Err(internal(e)),
    };
    if need.contains(&session.stage) {
        return Ok((session, business));
    }
    Err(match session.stage {
        SessionStage::Full => redirect(&format!("/b/{slug}/account"), &[]),
        SessionStage::Mfa | SessionStage::Enrol => {
            let (next, label) = match session.stage {
                SessionStage::Mfa => ("mfa", "Enter your code"),
                _ => ("mfa/enrol", "Set up two-step verification"),
            };
            let p = PageMeta::new(
                "Finish signing in first",
                slug,
                Some(&business),
                String::new(),
            );
            message(
                StatusCode::UNAUTHORIZED,
                p,
                "You have not finished signing in.",
                Some((format!("/b/{slug}/{next}"), label)),
            )
            .into_response()
        }
    })
}

/// Any address no route answers. Under `/api/` (or for a client that does not ask for
/// HTML) the JSON error; inside the dashboard its own 404 page, in its frame; elsewhere a
/// plain page that leads back to the start.
pub(crate) async fn fallback(
    State(s): State<AppState>,
    browser: Browser,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let path = uri.path();
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if path.starts_with("/api/") || !wants_html {
        return ApiError::new(crate::error_codes::NOT_FOUND, "no such route").into_response();
    }
    let mut parts = path.trim_start_matches('/').split('/');
    if let (Some("b"), Some(slug), Some("admin")) = (parts.next(), parts.next(), parts.next()) {
        return dashboard::not_found(&s, browser, slug).await;
    }
    let mut p = PageMeta::new("Page not found", "", None, String::new());
    p.base = String::new();
    message(
        StatusCode::NOT_FOUND,
        p,
        "There is no page at this address.",
        Some(("/".to_owned(), "Go to the start page")),
    )
    .into_response()
}

pub(crate) fn not_found(slug: &str) -> Response {
    let p = PageMeta::new("Not found", slug, None, String::new());
    message(StatusCode::NOT_FOUND, p, "There is no such page.", None).into_response()
}

pub(crate) fn internal(e: Error) -> Response {
    let (status, text, _) = explain(e);
    let p = PageMeta::new("Something went wrong", "", None, String::new());
    message(status, p, &text, None).into_response()
}

/// To the sign-in page, which returns to the page asked for once signed in.
pub(crate) fn sign_in_first(browser: &Browser, slug: &str) -> Response {
    let to = next::with_next(
        &format!("/b/{slug}/sign-in"),
        slug,
        browser.asked_for.as_deref(),
    );
    redirect(&to, &[])
}
