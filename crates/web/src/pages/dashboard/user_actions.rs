//! What an administrator does to one user: the account actions
//! (deactivate, reactivate, reset password or MFA, resend or revoke the invitation, unlock),
//! each behind a confirmation page that says what will happen.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_domain::Error;
use gatehouse_domain::ids::UserId;
use gatehouse_domain::model::{User, UserAction};
use gatehouse_domain::principal::{BusinessAccess, UsersManage, UsersView};
use gatehouse_domain::services::Precondition;

use super::context::{Answer, Chrome, Dash, DashForm, describe, page_with};
use super::self_loss;
use crate::browser::Browser;
use crate::state::AppState;

/// A link of a user's Actions menu.
#[derive(Debug, Clone)]
pub(crate) struct Action {
    pub(crate) href: String,
    pub(crate) label: &'static str,
    pub(crate) danger: bool,
}

/// The account actions, by the last segment of their address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Deactivate,
    Reactivate,
    ResetPassword,
    ResetMfa,
    ResendInvitation,
    RevokeInvitation,
    Unlock,
}

const KINDS: [Kind; 7] = [
    Kind::ResendInvitation,
    Kind::RevokeInvitation,
    Kind::ResetPassword,
    Kind::ResetMfa,
    Kind::Unlock,
    Kind::Reactivate,
    Kind::Deactivate,
];

impl Kind {
    fn slug(self) -> &'static str {
        match self {
            Kind::Deactivate => "deactivate",
            Kind::Reactivate => "reactivate",
            Kind::ResetPassword => "reset-password",
            Kind::ResetMfa => "reset-mfa",
            Kind::ResendInvitation => "resend-invitation",
            Kind::RevokeInvitation => "revoke-invitation",
            Kind::Unlock => "unlock",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        KINDS.into_iter().find(|k| k.slug() == raw)
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Deactivate => "Deactivate",
            Kind::Reactivate => "Reactivate",
            Kind::ResetPassword => "Reset password",
            Kind::ResetMfa => "Reset MFA",
            Kind::ResendInvitation => "Resend invitation",
            Kind::RevokeInvitation => "Revoke invitation",
            Kind::Unlock => "Unlock",
        }
    }

    fn danger(self) -> bool {
        matches!(
            self,
            Kind::Deactivate | Kind::ResetPassword | Kind::ResetMfa | Kind::RevokeInvitation
        )
    }

    /// The domain's action this is.
    fn action(self) -> UserAction {
        match self {
            Kind::Deactivate => UserAction::Deactivate,
            Kind::Reactivate => UserAction::Reactivate,
            Kind::ResetPassword => UserAction::ResetPassword,
            Kind::ResetMfa => UserAction::ResetMfa,
            Kind::ResendInvitation => UserAction::ResendInvitation,
            Kind::RevokeInvitation => UserAction::RevokeInvitation,
            Kind::Unlock => UserAction::Unlock,
        }
    }

    /// Whether the action applies to the user as they are (the domain's state machine).
    fn applies(self, u: &User) -> bool {
        u.allows(self.action())
    }

    /// What will happen, in a sentence naming the user.
    fn consequence(self, who: &str) -> String {
        match self {
            Kind::Deactivate => format!(
                "This ends all of {who}'s sessions now, voids any invitation or reset link still out, and refuses their sign-in until someone reactivates the account. Their groups are kept."
            ),
            Kind::Reactivate => {
                format!("{who} can sign in again and gets back the rights of their groups at once.")
            }
            Kind::ResetPassword => format!(
                "This clears {who}'s password, ends all of their sessions now and emails them a link to choose a new one. You never see or set the password."
            ),
            Kind::ResetMfa => format!(
                "This removes {who}'s authenticator app, passkeys and recovery codes and ends all of their sessions now. They set up two-step verification again at their next sign-in when the policy requires it, and get an email about it."
            ),
            Kind::ResendInvitation => {
                format!("We email {who} a new invitation link. The previous link stops working.")
            }
            Kind::RevokeInvitation => format!(
                "{who}'s invitation link stops working. The account stays pending: you can resend an invitation later, or deactivate it."
            ),
            Kind::Unlock => format!(
                "{who} was locked after repeated failed sign-ins. Unlocking lets them sign in again now."
            ),
        }
    }

    fn notice(self) -> &'static str {
        match self {
            Kind::Deactivate => "deactivated",
            Kind::Reactivate => "reactivated",
            Kind::ResetPassword => "password_reset",
            Kind::ResetMfa => "mfa_reset",
            Kind::ResendInvitation => "invitation_resent",
            Kind::RevokeInvitation => "invitation_revoked",
            Kind::Unlock => "unlocked",
        }
    }
}

/// The Actions menu of `u` for the signed-in user (empty without `users.manage`).
pub(crate) fn actions_for(d: &Dash, u: &User) -> Vec<Action> {
    if !d.can.users_manage {
        return Vec::new();
    }
    let base = d.admin(&format!("/users/{}", u.id));
    let mut out = vec![Action {
        href: format!("{base}/edit"),
        label: "Edit user",
        danger: false,
    }];
    out.extend(KINDS.into_iter().filter(|k| k.applies(u)).map(|k| Action {
        href: format!("{base}/do/{}", k.slug()),
        label: k.label(),
        danger: k.danger(),
    }));
    out
}

/// The name a sentence uses for a user.
pub(crate) fn who(u: &User) -> String {
    if u.display_name.as_str().is_empty() {
        u.email.to_string()
    } else {
        u.display_name.to_string()
    }
}

pub(crate) async fn user_of(d: &Dash, id: &str) -> Answer<User> {
    let view = d
        .principal
        .authorize::<UsersView>()
        .map_err(|e| d.fail(e, "users"))?;
    let id: UserId = id
        .parse()
        .map_err(|_| d.fail(Error::UserNotFound, "users"))?;
    d.state
        .gatehouse
        .get_user(&view, id)
        .await
        .map_err(|e| d.fail(e, "users"))
}

#[derive(Template)]
#[template(path = "dashboard/confirm.html")]
pub(crate) struct ConfirmPage {
    pub(crate) c: Chrome,
    pub(crate) question: String,
    pub(crate) consequence: String,
    pub(crate) action: String,
    pub(crate) button: String,
    pub(crate) danger: bool,
    pub(crate) cancel: String,
    /// A warning that the action takes away the signed-in user's own access.
    pub(crate) warn_self: Option<String>,
}

/// The warning an action on one's own account needs.
fn own_account_warning(d: &Dash, u: &User, kind: Kind) -> Option<String> {
    if u.id != d.me.id {
        return None;
    }
    let what = match kind {
        Kind::Deactivate => {
            "This is your own account: you will be signed out at once and cannot sign in again until another administrator reactivates you."
        }
        Kind::ResetPassword => {
            "This is your own account: you will be signed out at once and can sign in again only after choosing a new password from the mailed link."
        }
        Kind::ResetMfa => {
            "This is your own account: you will be signed out at once and must set up two-step verification again."
        }
        _ => return None,
    };
    Some(what.to_owned())
}

fn confirm(d: &Dash, u: &User, kind: Kind, error: Option<(StatusCode, String)>) -> Response {
    let name = who(u);
    let mut c = d.chrome(&format!("{} {name}?", kind.label()), "users");
    let status = error.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    c.error = error.map(|(_, t)| t);
    let user_page = d.admin(&format!("/users/{}", u.id));
    page_with(
        status,
        &ConfirmPage {
            c,
            question: format!("{} {name}?", kind.label()),
            consequence: kind.consequence(&name),
            action: format!("{user_page}/do/{}", kind.slug()),
            button: format!("{} {name}", kind.label()),
            danger: kind.danger(),
            cancel: user_page,
            warn_self: own_account_warning(d, u, kind),
        },
    )
}

/// The confirmation of an account action. Requires `users.manage`.
pub(crate) async fn confirm_page(
    State(s): State<AppState>,
    browser: Browser,
    Path((slug, id, action)): Path<(String, String, String)>,
) -> Answer {
    let (d, _access) = Dash::with::<UsersManage>(&s, browser, &slug).await?;
    let kind = Kind::parse(&action).ok_or_else(|| d.not_found_page())?;
    let u = user_of(&d, &id).await?;
    Ok(confirm(&d, &u, kind, None))
}

async fn run(
    d: &Dash,
    access: &BusinessAccess<UsersManage>,
    kind: Kind,
    id: UserId,
) -> Result<(), Error> {
    let (gh, ctx, pre) = (&d.state.gatehouse, &d.browser.ctx, Precondition::default());
    match kind {
        Kind::Deactivate => gh.deactivate_user(access, ctx, id, pre).await.map(drop),
        Kind::Reactivate => gh.reactivate_user(access, ctx, id, pre).await.map(drop),
        Kind::ResetPassword => gh.reset_user_password(access, ctx, id).await.map(drop),
        Kind::ResetMfa => gh.reset_user_mfa(access, ctx, id).await.map(drop),
        Kind::ResendInvitation => gh.resend_invitation(access, ctx, id).await.map(drop),
        Kind::RevokeInvitation => gh.revoke_invitation(access, ctx, id).await,
        Kind::Unlock => gh.unlock_user(access, ctx, id).await.map(drop),
    }
}

/// Carries out a confirmed account action. Requires `users.manage`.
pub(crate) async fn perform(
    Path((_, id, action)): Path<(String, String, String)>,
    DashForm(d, access, form): DashForm<UsersManage>,
) -> Answer {
    let kind = Kind::parse(&action).ok_or_else(|| d.not_found_page())?;
    let u = user_of(&d, &id).await?;
    if own_account_warning(&d, &u, kind).is_some() && !self_loss::confirmed(&form) {
        let err = (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Nothing was done: tick “I understand” to go ahead with your own account.".to_owned(),
        );
        return Ok(confirm(&d, &u, kind, Some(err)));
    }
    match run(&d, &access, kind, u.id).await {
        Ok(()) => Ok(d.done(&d.admin(&format!("/users/{}", u.id)), kind.notice())),
        Err(e) => Ok(confirm(&d, &u, kind, Some(describe(d.catalog(), e)))),
    }
}
