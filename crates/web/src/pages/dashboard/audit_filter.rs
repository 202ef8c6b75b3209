//! The audit log's filters, read strictly: an actor or target is an email of the business
//! or an id, an action a dotted name, dates real days with From not after To. Anything else
//! is shown back as a problem beside its field, and nothing is listed or exported.

use gatehouse_domain::audit::AuditFilter;
use gatehouse_domain::principal::UsersView;
use gatehouse_domain::store::UserFilter;
use time::{Date, Time};

use super::super::problems::Problems;
use super::context::Dash;
use super::fields::Fields;

fn day(raw: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(raw, &format).ok()
}

/// A date field: empty, or a real day.
fn date_field(p: &mut Problems, q: &Fields, field: &'static str, label: &str) -> Option<Date> {
    let raw = q.get(field);
    if raw.is_empty() {
        return None;
    }
    let parsed = day(raw);
    if parsed.is_none() {
        p.add(field, format!("{label} must be a date like 2026-11-30."));
    }
    parsed
}

/// An actor or target field: an email of the business (looked up), or an id.
async fn who(
    d: &Dash,
    p: &mut Problems,
    q: &Fields,
    field: &'static str,
    label: &str,
) -> Option<String> {
    let raw = q.get(field);
    if raw.is_empty() {
        return None;
    }
    if !raw.contains('@') {
        let id_like = raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !id_like {
            p.add(field, format!("{label} must be an email or an id."));
        }
        return Some(raw.to_owned());
    }
    let wanted = raw.to_lowercase();
    let found = match d.principal.authorize::<UsersView>() {
        Ok(view) => {
            let filter = UserFilter {
                query: Some(wanted.clone()),
                ..UserFilter::default()
            };
            d.state
                .gatehouse
                .list_users(&view, &filter, None, 5)
                .await
                .ok()
                .and_then(|page| {
                    page.items
                        .into_iter()
                        .find(|u| u.email.as_str().to_lowercase() == wanted)
                })
        }
        // Without users.view an email cannot be looked up: say so rather than match nothing.
        Err(_) => {
            p.add(
                field,
                format!(
                    "{label}: give an id; looking up emails needs the “View users” permission."
                ),
            );
            return None;
        }
    };
    match found {
        Some(u) => Some(u.id.to_string()),
        None => {
            p.add(field, "No user of this business has this email.");
            None
        }
    }
}

/// The filter the page's parameters ask for, or the problems with them.
pub(crate) async fn filter_of(d: &Dash, q: &Fields) -> Result<AuditFilter, Problems> {
    let mut p = Problems::default();
    let actor_id = who(d, &mut p, q, "actor", "Actor").await;
    let target_id = who(d, &mut p, q, "target", "Target").await;
    let action = q.get("action");
    let dotted = action
        .split('.')
        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
    if !action.is_empty() && !dotted {
        p.add(
            "action",
            "Action must be a name like user or group.created.",
        );
    }
    let from = date_field(&mut p, q, "from", "From");
    let to = date_field(&mut p, q, "to", "To");
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        p.add("to", "To must be on or after From.");
    }
    if !p.is_empty() {
        return Err(p);
    }
    Ok(AuditFilter {
        actor_id,
        target_id,
        action_prefix: Some(action.to_owned()).filter(|a| !a.is_empty()),
        from: from.map(|d| d.with_time(Time::MIDNIGHT).assume_utc()),
        to: to
            .and_then(Date::next_day)
            .map(|d| d.with_time(Time::MIDNIGHT).assume_utc()),
        before_id: None,
    })
}
