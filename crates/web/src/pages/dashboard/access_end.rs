//! Temporary access in the dashboard: the "for how long" of the add-member form, and a
//! membership's time left in words.

use gatehouse_domain::Error;
use gatehouse_domain::services::temporary::MembershipEnd;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

use super::fields::Fields;

/// The choices of the form's "Access" field: (value in seconds, label); empty is no end.
pub(crate) const DURATIONS: &[(&str, &str)] = &[
    ("", "No end"),
    ("3600", "For 1 hour"),
    ("14400", "For 4 hours"),
    ("28800", "For 8 hours"),
    ("86400", "For 1 day"),
    ("604800", "For 1 week"),
    ("until", "Until a date and time (UTC)…"),
];

/// The end the form asks for: `duration` (one of [`DURATIONS`]) and, for "until",
/// `until` as `YYYY-MM-DDTHH:MM` in UTC (what a `datetime-local` field sends).
pub(crate) fn requested_end(form: &Fields) -> Result<Option<MembershipEnd>, Error> {
    let bad = |why: &str| Error::invalid("invalid_expiry", "expires_at", why.to_owned());
    match form.get("duration") {
        "" => Ok(None),
        "until" => {
            let format = format_description!("[year]-[month]-[day]T[hour]:[minute]");
            let at = PrimitiveDateTime::parse(form.get("until"), &format)
                .map_err(|_| bad("give the end as a date and time"))?;
            Ok(Some(MembershipEnd::At(at.assume_utc())))
        }
        secs => {
            let secs: i64 = secs
                .parse()
                .ok()
                .filter(|s| DURATIONS.iter().any(|(v, _)| v.parse() == Ok(*s)))
                .ok_or_else(|| bad("choose one of the offered durations"))?;
            Ok(Some(MembershipEnd::After(Duration::seconds(secs))))
        }
    }
}

/// "3 h 20 min left" (at least a minute), or "ended" once `end` has come.
pub(crate) fn time_left(now: OffsetDateTime, end: OffsetDateTime) -> String {
    let left = end - now;
    if left <= Duration::ZERO {
        return "ended".to_owned();
    }
    let minutes = (left.whole_seconds() + 59) / 60;
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let text = match (days, hours) {
        (0, 0) => format!("{mins} min"),
        (0, _) => format!("{hours} h {mins} min"),
        _ => format!("{days} d {hours} h"),
    };
    format!("{text} left")
}

/// An end as the dashboard writes it: `2026-12-04 17:00 UTC`.
pub(crate) fn end_text(end: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    end.format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_in_the_largest_units() {
        let now = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(time_left(now, now + Duration::seconds(30)), "1 min left");
        assert_eq!(
            time_left(now, now + Duration::minutes(200)),
            "3 h 20 min left"
        );
        assert_eq!(time_left(now, now + Duration::hours(50)), "2 d 2 h left");
        assert_eq!(time_left(now, now), "ended");
    }
}
