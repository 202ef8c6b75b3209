//! The address `gatehouse serve` prints: on a fresh install, how to finish setup; afterwards,
//! a "sign in to your business" form. A business's short name (typed, or pasted as an
//! address) leads to its sign-in page; an email is mailed the sign-in links of its accounts
//! (`Gatehouse::request_sign_in_links`). It never lists businesses or says whether one
//! exists: every well-formed short name leads to its sign-in page, and every email gets the
//! same answer, at the same speed, whoever it belongs to.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gatehouse_domain::types::{Email, Slug};
use serde::Deserialize;

use super::dashboard::Params;
use super::problems::Problems;
use super::{CheckedForm, CsrfToken, Page, PageMeta, explain, internal, redirect};
use crate::browser::Browser;
use crate::state::AppState;

/// The answer to an email, whoever it belongs to.
pub(crate) const MAILED: &str = "If that address has an account, we've sent it a link to sign in. It can take a few minutes to arrive; look in the spam folder too.";

#[derive(Template)]
#[template(path = "landing.html")]
struct LandingPage {
    p: PageMeta,
    fresh: bool,
    business: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct FindForm {
    csrf: String,
    business: String,
}

impl CsrfToken for FindForm {
    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

fn meta(title: &str, csrf: String) -> PageMeta {
    let mut p = PageMeta::new(title, "", None, csrf);
    p.base = String::new();
    p
}

async fn fresh(s: &AppState) -> Result<bool, Response> {
    match s.gatehouse.has_businesses().await {
        Ok(any) => Ok(!any),
        Err(e) => Err(internal(e)),
    }
}

/// The landing page with `typed` in its field and `p`'s problems or notice.
async fn landing_with(
    s: &AppState,
    browser: &Browser,
    typed: &str,
    edit: impl FnOnce(&mut PageMeta),
) -> Result<Page, Response> {
    let fresh = fresh(s).await?;
    let title = if fresh {
        "Finish setting up Gatehouse"
    } else {
        "Sign in to your business"
    };
    let (csrf, cookie) = browser.csrf_for_form(s);
    let mut p = meta(title, csrf);
    edit(&mut p);
    let status = p.problems.status(None);
    Ok(Page::with_status(
        status,
        &LandingPage {
            p,
            fresh,
            business: typed.to_owned(),
        },
    )
    .cookie(cookie))
}

/// `GET /`.
pub(crate) async fn landing(State(s): State<AppState>, browser: Browser) -> Response {
    match landing_with(&s, &browser, "", |_| {}).await {
        Ok(page) => page.into_response(),
        Err(answer) => answer,
    }
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

/// What was typed, when it is not a short name or an email: the field's problem.
fn problem(typed: &str) -> Problems {
    let mut problems = Problems::default();
    let text = if typed.trim().is_empty() {
        "Enter your business's short name or your email.".to_owned()
    } else if typed.contains('@') {
        match Email::parse(typed) {
            Err(e) => super::problems::sentence("Email", &e),
            Ok(_) => return problems,
        }
    } else {
        "That is not a short name: short names are 2 to 63 characters of a–z, 0–9 and -, starting with a letter.".to_owned()
    };
    problems.add("business", text);
    problems
}

/// `GET /sign-in?business=…`: a short name leads to that business's sign-in page; anything
/// else shows the form again with it filled in (an email is only mailed when posted).
pub(crate) async fn find_business(
    State(s): State<AppState>,
    browser: Browser,
    q: Params,
) -> Response {
    let typed = q.get("business");
    if let Some(slug) = slug_in(typed).filter(|_| !typed.contains('@')) {
        return redirect(&format!("/b/{slug}/sign-in"), &[]);
    }
    let problems = problem(typed);
    match landing_with(&s, &browser, typed, |p| p.problems = problems).await {
        Ok(page) => page.into_response(),
        Err(answer) => answer,
    }
}

/// `POST /sign-in`: a short name leads to its sign-in page; an email is answered the same
/// whoever it belongs to ([`MAILED`]) and mailed its sign-in links after the answer.
pub(crate) async fn find_business_post(
    State(s): State<AppState>,
    CheckedForm(browser, form): CheckedForm<FindForm>,
) -> Response {
    let typed = form.business.as_str();
    let email = if typed.contains('@') {
        Email::parse(typed).ok()
    } else {
        if let Some(slug) = slug_in(typed) {
            return redirect(&format!("/b/{slug}/sign-in"), &[]);
        }
        None
    };
    let Some(email) = email else {
        let problems = problem(typed);
        return match landing_with(&s, &browser, typed, |p| p.problems = problems).await {
            Ok(page) => page.into_response(),
            Err(answer) => answer,
        };
    };
    // Only this client's rate limit can make the answer differ, whatever the email.
    let asked = s
        .gatehouse
        .request_sign_in_links(&browser.ctx, &email)
        .await;
    let (mut status, mut retry) = (StatusCode::OK, None);
    let page = landing_with(&s, &browser, "", |p| match asked {
        Ok(()) => p.notice = Some(MAILED.to_owned()),
        Err(e) => {
            let (code, text, after) = explain(e);
            (status, retry) = (code, after);
            p.error = Some(text);
        }
    })
    .await;
    match page {
        Ok(page) => page.with_code(status).retry_after(retry).into_response(),
        Err(answer) => answer,
    }
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
