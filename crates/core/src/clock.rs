//! Time is a parameter: services read it from a [`Clock`] handed to them, so tests can move it.

use std::sync::Mutex;
use time::OffsetDateTime;

/// Where "now" comes from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> OffsetDateTime;
}

/// The wall clock, used by the binary.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place the real time is read
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Debug)]
pub struct ManualClock {
    /// The time, and how far each reading moves it on.
    now: Mutex<(OffsetDateTime, time::Duration)>,
}

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            now: Mutex::new((start, time::Duration::ZERO)),
        }
    }

    pub fn advance(&self, by: time::Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        now.0 += by;
    }

    /// Makes every reading move the time on by `tick` (zero: it stands still), as a real
    /// clock does between two readings: code that reads it twice sees two times.
    pub fn set_tick(&self, tick: time::Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        now.1 = tick;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        let mut guard = self.now.lock().unwrap_or_else(|e| e.into_inner());
        let (read, tick) = *guard;
        guard.0 = read + tick;
        read
    }
}

/// Timestamps are stored as microseconds since the Unix epoch, the same on every backend.
pub fn to_micros(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

/// Inverse of [`to_micros`]; out-of-range values clamp to the Unix epoch.
pub fn from_micros(micros: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// An instant as RFC 3339 text, as the API and audit events write times; empty for one
/// outside the format's range (years beyond 9999).
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
