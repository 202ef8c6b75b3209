//! Posted forms: reading a body (anything unreadable is a 400 page) and the one check of a
//! form's CSRF token and `Origin`, which every form of the product goes through —
//! [`CheckedForm`] for the account pages, the dashboard's `DashForm` and the operator
//! console's forms are thin layers over [`ScopedForm`].

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::{PageMeta, message};
use crate::browser::Browser;
use crate::state::AppState;

/// The refusal of a form without a valid CSRF token or from another origin.
pub(crate) fn csrf_refused(slug: &str) -> Response {
    let p = PageMeta::new("Request refused", slug, None, String::new());
    message(
        StatusCode::FORBIDDEN,
        p,
        "This form has expired or did not come from this site. Go back, reload the page and try again.",
        None,
    )
    .into_response()
}

/// The business short name of a `/b/{slug}/…` address, or "".
pub(crate) fn slug_in_path(path: &str) -> &str {
    path.strip_prefix("/b/")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
}

/// A form body; anything unreadable is a 400 page, missing fields are empty.
#[derive(Debug)]
pub(crate) struct PageForm<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for PageForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Form::<T>::from_request(req, state)
            .await
            .map(|f| PageForm(f.0))
            .map_err(|e| {
                let p = PageMeta::new("Bad request", "", None, String::new());
                message(StatusCode::BAD_REQUEST, p, &e.body_text(), None).into_response()
            })
    }
}

/// A form that carries a CSRF token.
pub(crate) trait CsrfToken {
    fn csrf_token(&self) -> &str;
}

/// Whom a form is posted as, read from the request before its body: it decides which CSRF
/// token the form must carry.
pub(crate) trait FormScope: Sized + Send {
    /// The scope of the request, if it is in one.
    fn scope(state: &AppState, parts: &Parts) -> Option<Self>;

    /// The answer to a form posted outside the scope (sign in first).
    fn outside() -> Response;

    /// The token this scope's forms carry; `None`: the browser's own (its session's, or
    /// before a session its CSRF cookie).
    fn csrf(&self) -> Option<&str>;
}

/// A visitor of the account pages and the dashboard: the browser's own token.
impl FormScope for () {
    fn scope(_: &AppState, _: &Parts) -> Option<Self> {
        Some(())
    }

    fn outside() -> Response {
        csrf_refused("")
    }

    fn csrf(&self) -> Option<&str> {
        None
    }
}

/// A posted form whose CSRF token (and `Origin`) has been checked in scope `S`: the one
/// place that check is made. A refused form answers the "request refused" page of the
/// business the address names.
#[derive(Debug)]
pub(crate) struct ScopedForm<S, T>(pub(crate) Browser, pub(crate) S, pub(crate) T);

impl<S: FormScope, T: DeserializeOwned + CsrfToken> FromRequest<AppState> for ScopedForm<S, T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let browser = match Browser::from_request_parts(&mut parts, state).await {
            Ok(b) => b,
            Err(never) => match never {},
        };
        let scope = S::scope(state, &parts).ok_or_else(S::outside)?;
        let slug = slug_in_path(parts.uri.path()).to_owned();
        let PageForm(form) =
            PageForm::<T>::from_request(Request::from_parts(parts, body), state).await?;
        if !browser.csrf_ok(form.csrf_token(), scope.csrf()) {
            return Err(csrf_refused(&slug));
        }
        Ok(ScopedForm(browser, scope, form))
    }
}

/// A posted form of the account pages, checked (see [`ScopedForm`]).
#[derive(Debug)]
pub(crate) struct CheckedForm<T>(pub(crate) Browser, pub(crate) T);

impl<T: DeserializeOwned + CsrfToken> FromRequest<AppState> for CheckedForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let ScopedForm(browser, (), form) = ScopedForm::<(), T>::from_request(req, state).await?;
        Ok(CheckedForm(browser, form))
    }
}
