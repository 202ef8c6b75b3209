//! The address `gatehouse serve` prints: on a fresh install, how to finish setup; afterwards,
//! a "sign in to your business" form that leads to the business's sign-in page. It never
//! lists businesses or says whether one exists: every well-formed short name leads to its
//! sign-in page, and an email gets the same answer whoever it belongs to.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gatehouse_domain::types::Slug;

use super::dashboard::Params;
use super::{Page, PageMeta, internal, redirect};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "landing.html")]
struct LandingPage {
    p: PageMeta,
    fresh: bool,
    business: String,
    /// An email was entered: explain where the sign-in address is instead.
    email_hint: bool,
}

fn meta(title: &str) -> PageMeta {
    let mut p = PageMeta::new(title, "", None, String::new());
    p.base = String::new();
    p
}

async fn fresh(s: &AppState) -> Result<bool, Response> {
    match s.gatehouse.has_businesses().await {
        Ok(any) => Ok(!any),
        Err(e) => Err(internal(e)),
    }
}

/// `GET /`.
pub(crate) async fn landing(State(s): State<AppState>) -> Response {
    let fresh = match fresh(&s).await {
        Ok(f) => f,
        Err(answer) => return answer,
    };
    let title = if fresh {
        "Finish setting up Gatehouse"
    } else {
        "Sign in to your business"
    };
    Page::ok(&LandingPage {
        p: meta(title),
        fresh,
        business: String::new(),
        email_hint: false,
    })
    .into_response()
}

/// The short name in what a person typed: `acme`, `Acme`, `/b/acme`, or a pasted address
/// such as `https://gatehouse.example/b/acme/sign-in`.
fn slug_in(raw: &str) -> Option<Slug> {
    let raw = raw.trim();
    let candidate = match raw.find("/b/") {
        Some(at) => raw[at + 3..].split(['/', '?', '#']).next().unwrap_or(""),
        None => raw,
    };
    Slug::parse(&candidate.to_lowercase()).ok()
}

/// `GET /sign-in?business=…`: to that business's sign-in page.
pub(crate) async fn find_business(State(s): State<AppState>, q: Params) -> Response {
    let typed = q.get("business");
    if let Some(slug) = slug_in(typed) {
        return redirect(&format!("/b/{slug}/sign-in"), &[]);
    }
    let fresh = match fresh(&s).await {
        Ok(f) => f,
        Err(answer) => return answer,
    };
    let mut p = meta("Sign in to your business");
    let email_hint = typed.contains('@');
    p.error = Some(if typed.is_empty() {
        "Enter your business's short name.".to_owned()
    } else if email_hint {
        "Sign-in pages are per business, so an email alone does not say which one. Enter the business's short name instead (see below where to find it).".to_owned()
    } else {
        "That is not a short name: short names are 2 to 63 characters of a–z, 0–9 and -, starting with a letter.".to_owned()
    });
    Page::with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &LandingPage {
            p,
            fresh,
            business: typed.to_owned(),
            email_hint,
        },
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::slug_in;

    #[test]
    fn short_names_in_what_people_type() {
        for (typed, want) in [
            ("acme", Some("acme")),
            ("  Acme ", Some("acme")),
            ("/b/acme", Some("acme")),
            ("https://gh.example/b/acme-eu/sign-in?x=1", Some("acme-eu")),
            ("gh.example/b/acme#top", Some("acme")),
            ("ada@acme.example", None),
            ("../admin", None),
            ("", None),
            ("a", None),
        ] {
            assert_eq!(
                slug_in(typed).map(|s| s.to_string()),
                want.map(str::to_owned),
                "{typed}"
            );
        }
    }
}
