//! Keyset pagination: a page of items and an opaque cursor to the next one.

use data_encoding::BASE64URL_NOPAD;
use serde::Serialize;

use crate::error::{Error, Result};

/// The most items one page may hold.
pub const MAX_PAGE_SIZE: u32 = 500;
pub const DEFAULT_PAGE_SIZE: u32 = 50;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// How many items match the filter, over all pages (when counted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// Present and true when `total` is an estimate ("about 470,000"): a large result set is
    /// not counted row by row unless the listing is asked for the exact count.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub total_estimated: bool,
}

/// Encodes a sort key as an opaque cursor.
pub fn encode_cursor(key: &str) -> String {
    BASE64URL_NOPAD.encode(key.as_bytes())
}

/// Decodes a cursor made by [`encode_cursor`].
pub fn decode_cursor(cursor: &str) -> Result<String> {
    let bytes = BASE64URL_NOPAD
        .decode(cursor.as_bytes())
        .map_err(|_| Error::InvalidCursor)?;
    String::from_utf8(bytes).map_err(|_| Error::InvalidCursor)
}

/// Clamps a requested page size to `1..=MAX_PAGE_SIZE`.
pub fn page_size(requested: Option<u32>) -> Result<u32> {
    match requested {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n @ 1..=MAX_PAGE_SIZE) => Ok(n),
        Some(_) => Err(Error::invalid(
            "invalid_limit",
            "limit",
            format!("must be 1 to {MAX_PAGE_SIZE}"),
        )),
    }
}

/// Builds a page from `limit + 1` fetched items: the extra one only says there is more.
pub fn paginate<T>(
    mut items: Vec<T>,
    limit: u32,
    total: Option<i64>,
    key: impl Fn(&T) -> String,
) -> Page<T> {
    let limit = limit as usize;
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|last| encode_cursor(&key(last)))
    } else {
        None
    };
    Page {
        items,
        next_cursor,
        total,
        total_estimated: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip_and_garbage() {
        assert_eq!(
            decode_cursor(&encode_cursor("dana@example.com")).unwrap(),
            "dana@example.com"
        );
        assert_eq!(decode_cursor("%%%").unwrap_err().code(), "invalid_cursor");
    }

    #[test]
    fn pagination_uses_the_extra_item() {
        let p = paginate(vec![1, 2, 3], 2, None, |i| i.to_string());
        assert_eq!(p.items, vec![1, 2]);
        assert_eq!(
            decode_cursor(p.next_cursor.as_deref().unwrap()).unwrap(),
            "2"
        );
        assert!(
            paginate(vec![1, 2], 2, None, |i| i.to_string())
                .next_cursor
                .is_none()
        );
    }
}
