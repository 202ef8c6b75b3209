//! Posted forms: reading a body (anything unreadable is a 400 page) and the one check of a
//! form's CSRF token and `Origin` for forms posted outside the dashboard.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
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

/// A posted form whose CSRF token (and `Origin`) has been checked: the one place that
/// check is made for forms posted before or without a session. A refused form answers the
/// "request refused" page of the business the address names.
#[derive(Debug)]
pub(crate) struct CheckedForm<T>(pub(crate) Browser, pub(crate) T);

/// A form that carries a CSRF token.
pub(crate) trait CsrfToken {
    fn csrf_token(&self) -> &str;
}

impl<T: DeserializeOwned + CsrfToken> FromRequest<AppState> for CheckedForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let browser = match Browser::from_request_parts(&mut parts, state).await {
            Ok(b) => b,
            Err(never) => match never {},
        };
        let slug = parts
            .uri
            .path()
            .strip_prefix("/b/")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_default()
            .to_owned();
        let PageForm(form) =
            PageForm::<T>::from_request(Request::from_parts(parts, body), state).await?;
        if !browser.csrf_ok(form.csrf_token()) {
            return Err(csrf_refused(&slug));
        }
        Ok(CheckedForm(browser, form))
    }
}
