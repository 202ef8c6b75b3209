//! Pending users' invitations as pages show them: sent, valid until, expired or revoked
//! (read from the audit trail by the domain).

use gatehouse_domain::model::User;
use gatehouse_domain::principal::UsersView;
use gatehouse_domain::services::InvitationState;

use super::context::Dash;

/// A pending user's invitation as pages show it.
#[derive(Debug, Clone)]
pub(crate) struct Invitation {
    pub(crate) text: String,
    /// "Expired" or "Revoked" when the link no longer works.
    pub(crate) dead: Option<&'static str>,
}

/// The invitation of each pending user of `users`, by user id.
pub(crate) async fn invitations(
    d: &Dash,
    access: &gatehouse_domain::principal::BusinessAccess<UsersView>,
    users: &[&User],
) -> std::collections::HashMap<String, Invitation> {
    let day = time::macros::format_description!("[year]-[month]-[day]");
    let show = |t: time::OffsetDateTime| t.format(&day).unwrap_or_default();
    let now = d.state.gatehouse.now();
    let states = d
        .state
        .gatehouse
        .invitation_states(access, users)
        .await
        .unwrap_or_default();
    states
        .into_iter()
        .map(|(id, st)| {
            let inv = match st {
                InvitationState::Revoked(at) => Invitation {
                    text: format!("Invitation revoked {}", show(at)),
                    dead: Some("Revoked"),
                },
                InvitationState::Sent(at, Some(exp)) if exp <= now => Invitation {
                    text: format!("Invited {}; the link expired {}", show(at), show(exp)),
                    dead: Some("Expired"),
                },
                InvitationState::Sent(at, Some(exp)) => Invitation {
                    text: format!("Invited {}; the link works until {}", show(at), show(exp)),
                    dead: None,
                },
                InvitationState::Sent(at, None) => Invitation {
                    text: format!("Invited {}", show(at)),
                    dead: None,
                },
            };
            (id.to_string(), inv)
        })
        .collect()
}
