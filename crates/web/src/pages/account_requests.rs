//! Asking for temporary access from one's own account page (the break-glass path): a group,
//! for how long, and why; the request waits in the administrators' inbox
//! (`dashboard/access_requests.rs`), and the page lists one's own requests and how they
//! stand.

use gatehouse_domain::Error;
use gatehouse_domain::principal::{AnyMember, BusinessAccess};
use time::Duration;

use super::dashboard::{Dash, Fields, when};

/// How long one may ask for: (seconds, label).
const DURATIONS: &[(i64, &str)] = &[
    (3600, "1 hour"),
    (14_400, "4 hours"),
    (28_800, "8 hours"),
    (86_400, "1 day"),
    (604_800, "1 week"),
];

#[derive(Debug)]
pub(crate) struct RequestRow {
    pub(crate) group: String,
    pub(crate) duration: String,
    pub(crate) reason: String,
    pub(crate) status: &'static str,
    pub(crate) created: String,
    pub(crate) ends: String,
}

/// The request form and the user's requests, for the account page.
#[derive(Debug, Default)]
pub(crate) struct RequestsView {
    /// Groups the user is not in: (id, name).
    pub(crate) groups: Vec<(String, String)>,
    pub(crate) durations: Vec<(i64, &'static str)>,
    pub(crate) mine: Vec<RequestRow>,
}

fn duration_label(secs: i64) -> String {
    DURATIONS
        .iter()
        .find(|(s, _)| *s == secs)
        .map_or_else(|| format!("{secs} s"), |(_, l)| (*l).to_owned())
}

pub(crate) async fn requests_view(d: &Dash) -> Result<RequestsView, Error> {
    let access: BusinessAccess<AnyMember> = d.principal.authorize()?;
    let gh = &d.state.gatehouse;
    let mine_ids: Vec<_> = d.me.groups.iter().map(|g| g.id).collect();
    let groups = gh
        .requestable_groups(&access)
        .await?
        .into_iter()
        .filter(|(id, _)| !mine_ids.contains(id))
        .map(|(id, name)| (id.to_string(), name.to_string()))
        .collect();
    let mine = gh
        .list_my_access_requests(&access)
        .await?
        .into_iter()
        .map(|r| RequestRow {
            group: r.group_name.to_string(),
            duration: duration_label(r.duration_seconds),
            reason: r.reason,
            status: r.status.as_str(),
            created: when(r.created_at),
            ends: r.expires_at.map(when).unwrap_or_default(),
        })
        .collect();
    Ok(RequestsView {
        groups,
        durations: DURATIONS.to_vec(),
        mine,
    })
}

/// Files the request the form describes.
pub(crate) async fn file_request(
    d: &Dash,
    access: &BusinessAccess<AnyMember>,
    form: &Fields,
) -> Result<(), Error> {
    let group = form
        .get("group")
        .parse()
        .map_err(|_| Error::GroupNotFound)?;
    let secs = form
        .get("duration")
        .parse::<i64>()
        .ok()
        .filter(|s| DURATIONS.iter().any(|(d, _)| d == s))
        .ok_or_else(|| {
            Error::invalid(
                "invalid_duration",
                "duration_seconds",
                "choose one of the offered durations",
            )
        })?;
    d.state
        .gatehouse
        .request_access(
            access,
            &d.browser.ctx,
            group,
            Duration::seconds(secs),
            form.get("reason"),
        )
        .await
        .map(drop)
}
