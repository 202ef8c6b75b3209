//! Reading an import file into rows, each with the line it starts on: CSV with a header row
//! (`email`, and optionally `name` and `groups`; groups separated by `;`), or JSON Lines (one
//! object per line: `{"email": …, "name": …, "groups": […]}`). A row that cannot be read is
//! an error row; only a file that cannot be read at all is an error.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// At most this many rows per import.
pub const MAX_IMPORT_ROWS: usize = 200_000;
/// Separates group names in the `groups` column of a CSV file.
pub const GROUP_SEPARATOR: char = ';';

/// The shape of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportFormat {
    /// Comma-separated values with a header row: `email`, `name`, `groups`.
    Csv,
    /// JSON Lines: one object per line with `email`, `name`, `groups` (an array).
    Jsonl,
}

impl ImportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportFormat::Csv => "csv",
            ImportFormat::Jsonl => "jsonl",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "csv" => Some(ImportFormat::Csv),
            "jsonl" | "ndjson" => Some(ImportFormat::Jsonl),
            _ => None,
        }
    }

    /// The format a file name suggests: `.jsonl`/`.ndjson` is JSON Lines, anything else CSV.
    pub fn of_file_name(name: &str) -> Self {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") {
            ImportFormat::Jsonl
        } else {
            ImportFormat::Csv
        }
    }
}

/// Why a row is refused: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowError {
    pub code: String,
    pub message: String,
}

impl RowError {
    pub(crate) fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn of(e: &Error) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

/// A row as read from the file, before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RawRow {
    pub(crate) email: String,
    pub(crate) name: Option<String>,
    pub(crate) groups: Vec<String>,
}

/// One row of the file: where it starts and what it says (or why it cannot be read).
#[derive(Debug, Clone)]
pub(crate) struct FileRow {
    pub(crate) line: u64,
    pub(crate) row: std::result::Result<RawRow, RowError>,
}

fn file_invalid(reason: impl Into<String>) -> Error {
    Error::invalid("invalid_import_file", "file", reason)
}

/// Reads every row of `bytes`.
pub(crate) fn read_rows(format: ImportFormat, bytes: &[u8]) -> Result<Vec<FileRow>> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        file_invalid(format!(
            "is not UTF-8 text (byte {})",
            e.valid_up_to().saturating_add(1)
        ))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rows = match format {
        ImportFormat::Csv => read_csv(text)?,
        ImportFormat::Jsonl => read_jsonl(text),
    };
    if rows.len() > MAX_IMPORT_ROWS {
        return Err(file_invalid(format!(
            "has {} rows; at most {MAX_IMPORT_ROWS} per import",
            rows.len()
        )));
    }
    Ok(rows)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    Email,
    Name,
    Groups,
}

fn read_csv(text: &str) -> Result<Vec<FileRow>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| file_invalid(format!("has no readable header row: {e}")))?
        .clone();
    let mut columns = Vec::with_capacity(header.len());
    let mut seen = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        let column = match name.to_ascii_lowercase().as_str() {
            "email" => Column::Email,
            "name" | "display_name" => Column::Name,
            "groups" => Column::Groups,
            other => {
                return Err(file_invalid(format!(
                    "column {} `{other}` is not one of email, name, groups",
                    i + 1
                )));
            }
        };
        if seen.insert(column, i).is_some() {
            return Err(file_invalid(format!("column `{name}` appears twice")));
        }
        columns.push(column);
    }
    if !seen.contains_key(&Column::Email) {
        return Err(file_invalid("the header row has no `email` column"));
    }
    // Lines from byte offsets: the reader's own line count skips blank lines.
    let mut lines = LineCounter::new(text);
    let mut rows = Vec::new();
    for record in reader.records() {
        let (line, row) = match record {
            Ok(record) => {
                let byte = record.position().map_or(0, csv::Position::byte);
                (lines.at(byte), csv_row(&columns, &record))
            }
            Err(e) => {
                let byte = e.position().map_or(0, csv::Position::byte);
                (
                    lines.at(byte),
                    Err(RowError::new("invalid_row", e.to_string())),
                )
            }
        };
        rows.push(FileRow { line, row });
    }
    Ok(rows)
}

/// The 1-based line of a byte offset, for offsets that only grow.
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }

    /// The line of the record the reader says starts at `byte`: the reader's position is
    /// before the blank lines it skipped, so those are passed over first.
    fn at(&mut self, byte: u64) -> u64 {
        let mut byte = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while self
            .text
            .get(byte)
            .is_some_and(|b| *b == b'\n' || *b == b'\r')
        {
            byte += 1;
        }
        if byte > self.byte {
            let newlines = self.text[self.byte..byte]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.line += newlines as u64;
            self.byte = byte;
        }
        self.line
    }
}

fn csv_row(
    columns: &[Column],
    record: &csv::StringRecord,
) -> std::result::Result<RawRow, RowError> {
    if record.len() > columns.len() {
        return Err(RowError::new(
            "invalid_row",
            format!(
                "has {} fields; the header names {}",
                record.len(),
                columns.len()
            ),
        ));
    }
    let mut row = RawRow::default();
    for (column, value) in columns.iter().zip(record.iter()) {
        match column {
            Column::Email => value.clone_into(&mut row.email),
            Column::Name => row.name = Some(value.to_owned()),
            Column::Groups => {
                row.groups = value
                    .split(GROUP_SEPARATOR)
                    .map(str::trim)
                    .filter(|g| !g.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
        }
    }
    Ok(row)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRow {
    email: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
}

fn read_jsonl(text: &str) -> Vec<FileRow> {
    let mut rows = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let line = u64::try_from(i).unwrap_or(u64::MAX).saturating_add(1);
        let row = serde_json::from_str::<JsonRow>(raw)
            .map(|r| RawRow {
                email: r.email,
                name: r.name,
                groups: r.groups,
            })
            .map_err(|e| RowError::new("invalid_row", e.to_string()));
        rows.push(FileRow { line, row });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_keep_their_lines_and_split_groups() {
        let file = "Email,Name,Groups\n\
                    a@example.com,Ann,Admins; Support\n\
                    \n\
                    \"b@example.com\",\"Bo, Jr.\",\n\
                    c@example.com,C,x,extra\n";
        let rows = read_rows(ImportFormat::Csv, file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].line, 2);
        let first = rows[0].row.as_ref().unwrap();
        assert_eq!(first.groups, vec!["Admins", "Support"]);
        assert_eq!(rows[1].line, 4);
        assert_eq!(
            rows[1].row.as_ref().unwrap().name.as_deref(),
            Some("Bo, Jr.")
        );
        assert_eq!(rows[2].line, 5);
        assert_eq!(rows[2].row.as_ref().unwrap_err().code, "invalid_row");
    }

    #[test]
    fn csv_without_an_email_column_or_with_an_unknown_one_is_refused() {
        for file in [
            "name\nAnn\n",
            "email,role\na@example.com,x\n",
            "email,email\n",
        ] {
            let e = read_rows(ImportFormat::Csv, file.as_bytes()).unwrap_err();
            assert_eq!(e.code(), "invalid_import_file", "{file}");
        }
    }

    #[test]
    fn json_lines_report_bad_lines() {
        let file = "{\"email\":\"a@example.com\",\"groups\":[\"G\"]}\n\n{\"email\":1}\n{\"email\":\"b@example.com\",\"role\":\"x\"}\n";
        let rows = read_rows(ImportFormat::Jsonl, file.as_bytes()).unwrap();
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![1, 3, 4]);
        assert!(rows[0].row.is_ok());
        assert!(rows[1].row.is_err());
        assert!(rows[2].row.is_err());
    }

    #[test]
    fn not_utf8_is_a_file_error() {
        let e = read_rows(ImportFormat::Csv, b"email\n\xff\n").unwrap_err();
        assert_eq!(e.code(), "invalid_import_file");
    }
}
