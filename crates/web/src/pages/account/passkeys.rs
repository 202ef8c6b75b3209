//! The account page's passkeys: the list (name, added, last used), adding one (the browser
//! creates it from the options in the form, `static/passkeys.js` posts it back) after a
//! fresh proof of identity, and removing one.

use axum::Router;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use gatehouse_domain::Error;
use gatehouse_domain::ids::PasskeyId;

use super::{
    Answer, CodesPage, DashCodesPage, Frame, InFrame, Page, PageMeta, Shown, describe, fail, home,
    page, render, when,
};
use crate::pages::dashboard::{Dash, DashForm};
use crate::state::AppState;

/// One passkey as the list shows it.
#[derive(Debug)]
pub(crate) struct PasskeyRow {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) created: String,
    pub(super) last_used: String,
}

/// The passkeys card.
#[derive(Debug)]
pub(crate) struct PasskeysView {
    pub(super) rows: Vec<PasskeyRow>,
    /// The creation options, JSON; `None` when a step-up must come first.
    pub(super) options: Option<String>,
    /// A passkey policy covers the user and they have none.
    pub(super) required: bool,
}

pub(super) fn routes<F: InFrame>(home: &str) -> Router<AppState> {
    Router::new()
        .route(&format!("{home}/passkeys"), post(register_passkey::<F>))
        .route(
            &format!("{home}/passkeys/{{id}}/remove"),
            post(remove_passkey::<F>),
        )
}

pub(super) async fn view(d: &Dash, frame: Frame) -> Answer<PasskeysView> {
    let gh = &d.state.gatehouse;
    let failed = |e| fail(d, frame, e);
    let keys = gh.list_own_passkeys(&d.session).await.map_err(failed)?;
    let options = match gh.passkey_registration_options(&d.session).await {
        Ok(o) => Some(o.to_string()),
        Err(Error::StepUpRequired) => None,
        Err(e) => return Err(failed(e)),
    };
    let required = gh.passkey_missing(&d.session).await.map_err(failed)?;
    Ok(PasskeysView {
        rows: keys
            .into_iter()
            .map(|k| PasskeyRow {
                id: k.id.to_string(),
                name: k.name,
                created: when(k.created_at),
                last_used: k.last_used_at.map_or_else(|| "never".to_owned(), when),
            })
            .collect(),
        options,
        required,
    })
}

async fn shown_error(d: &Dash, frame: Frame, e: Error) -> Answer {
    if matches!(e, Error::StepUpRequired) {
        return Err(crate::pages::step_up::step_up_first(
            &d.slug,
            &home(d, frame),
        ));
    }
    let shown = Shown {
        error: Some(describe(d.catalog(), e)),
        ..Shown::default()
    };
    render(d, frame, shown).await
}

/// Adds the passkey the browser created. Requires a signed-in session (no permission) and a
/// recent proof of identity; the first second factor comes with recovery codes, shown once.
pub(crate) async fn register_passkey<F: InFrame>(DashForm(d, _member, form): DashForm) -> Answer {
    let back = home(&d, F::FRAME);
    let registered = d
        .state
        .gatehouse
        .register_passkey(
            &d.browser.ctx,
            &d.session,
            form.raw("name"),
            form.raw("response"),
        )
        .await;
    match registered {
        Ok(done) => match done.recovery_codes {
            None => Ok(d.done(&back, "passkey_added")),
            Some(codes) => Ok(codes_page(&d, F::FRAME, codes, back)),
        },
        Err(e) => shown_error(&d, F::FRAME, e).await,
    }
}

/// The recovery codes that came with a first second factor, shown once.
pub(super) fn codes_page(d: &Dash, frame: Frame, codes: Vec<String>, next: String) -> Response {
    match frame {
        Frame::Dashboard => page(&DashCodesPage {
            c: d.chrome("Your new recovery codes", "profile"),
            codes,
        }),
        Frame::Plain => {
            let p = PageMeta::new(
                "Your new recovery codes",
                &d.slug,
                Some(&d.business),
                d.csrf.clone(),
            );
            Page::ok(&CodesPage { p, codes, next }).into_response()
        }
    }
}

/// Removes one of the user's passkeys. Requires a signed-in session (no permission) and a
/// recent proof of identity; the last second factor stays where a policy requires one.
pub(crate) async fn remove_passkey<F: InFrame>(
    Path((_slug, id)): Path<(String, String)>,
    DashForm(d, _member, _form): DashForm,
) -> Answer {
    let Ok(id) = id.parse::<PasskeyId>() else {
        return Err(fail(&d, F::FRAME, Error::PasskeyNotFound));
    };
    match d
        .state
        .gatehouse
        .remove_passkey(&d.browser.ctx, &d.session, id)
        .await
    {
        Ok(_) => Ok(d.done(&home(&d, F::FRAME), "passkey_removed")),
        Err(e) => shown_error(&d, F::FRAME, e).await,
    }
}
