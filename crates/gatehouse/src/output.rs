//! How command results are shown: a table for people, or JSON (`--json`) for scripts.
//! Results go to standard output; notices and logs go to standard error.

use std::io::Write;

use comfy_table::{Table, presets};
use serde::Serialize;
use time::OffsetDateTime;
use time::macros::format_description;

/// Where and how results are printed.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    json: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    pub fn is_json(self) -> bool {
        self.json
    }

    /// Prints `value` as pretty JSON, or the table `table` builds from it.
    pub fn show<T: Serialize + ?Sized>(
        self,
        value: &T,
        table: impl FnOnce(&T) -> Table,
    ) -> anyhow::Result<()> {
        if self.json {
            let text = serde_json::to_string_pretty(value)?;
            write_stdout(&text)
        } else {
            write_stdout(&table(value).to_string())
        }
    }

    /// A plain line on standard output.
    pub fn line(self, text: &str) -> anyhow::Result<()> {
        write_stdout(text)
    }
}

fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()?;
    Ok(())
}

/// An empty table with a header row, without borders (like `kubectl get`).
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_header(header.iter().copied());
    table
}

/// A time as `2026-11-29 14:03:07Z`.
pub fn when(t: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| t.to_string())
}

/// An optional time; `-` when absent.
pub fn maybe_when(t: Option<OffsetDateTime>) -> String {
    t.map_or_else(|| "-".to_owned(), when)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_short_and_utc() {
        let t = time::macros::datetime!(2026-11-29 15:03:07.123 +01:00);
        assert_eq!(when(t), "2026-11-29 14:03:07Z");
        assert_eq!(maybe_when(None), "-");
    }

    #[test]
    fn tables_have_the_header() {
        let mut t = table(&["ID", "NAME"]);
        t.add_row(["1", "Acme"]);
        let s = t.to_string();
        assert!(s.contains("NAME") && s.contains("Acme"), "{s}");
    }
}
