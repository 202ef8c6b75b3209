//! The pages' own static files: the stylesheet and the passkey glue (first-party, no
//! dependencies; `script-src 'self'` in the pages' content security policy).

use axum::http::header;
use axum::response::IntoResponse;

pub(super) async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/gatehouse.css"),
    )
}

/// The passkey glue of the sign-in, MFA and account pages (first-party, no dependencies).
pub(super) async fn passkeys_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/passkeys.js"),
    )
}
