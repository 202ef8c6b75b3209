//! What a user listing asks for: filters, the order (with keyset cursors) and the total.

use crate::error::Result;
use crate::ids::{GroupId, TenantId, UserId};
use crate::model::{User, UserStatus};

/// Which users to list. All filters combine with AND.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub status: Option<UserStatus>,
    /// Members of this group.
    pub group: Option<GroupId>,
    /// Users with any access in this tenant. The domain decides what that means (members of
    /// a group that covers it) and hands the store [`UserFilter::member_of_any`] instead.
    pub tenant: Option<TenantId>,
    /// Members of any of these groups (`Some(empty)`: nobody). Set by the domain; the store
    /// never reads `tenant`.
    pub member_of_any: Option<Vec<GroupId>>,
    /// Prefix of the email or of the display name, case-insensitive.
    pub query: Option<String>,
    /// The order of the listing.
    pub sort: UserSort,
    /// Count the matches exactly even when there are many (otherwise a large total is an
    /// estimate, see [`UserTotal`]).
    pub exact_total: bool,
}

/// How many users match a listing's filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserTotal {
    pub count: i64,
    /// False when `count` is an estimate: the filter matched more users than the store counts
    /// one by one unless [`UserFilter::exact_total`] asks it to.
    pub exact: bool,
}

/// The order of a user listing. Each is total (ties broken by id), so keyset pages never
/// skip or repeat a user.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UserSort {
    /// By email, A to Z (the default).
    #[default]
    Email,
    /// By email, Z to A.
    EmailDesc,
    /// By display name (ignoring case), A to Z.
    Name,
    /// By display name (ignoring case), Z to A.
    NameDesc,
    /// Newest first.
    Newest,
    /// Oldest first.
    Oldest,
}

/// Separates the parts of a name cursor (the lower-cased display name, then the id).
pub const CURSOR_SEPARATOR: char = '\u{1f}';

impl UserSort {
    /// The keyset position of `user` in this order, for the next page's cursor.
    pub fn cursor_of(self, user: &User) -> String {
        match self {
            UserSort::Email | UserSort::EmailDesc => user.email.to_string(),
            UserSort::Name | UserSort::NameDesc => {
                format!(
                    "{}{CURSOR_SEPARATOR}{}",
                    user.display_name.as_str().to_lowercase(),
                    user.id
                )
            }
            UserSort::Newest | UserSort::Oldest => user.id.to_string(),
        }
    }

    /// Checks that a decoded cursor is one [`UserSort::cursor_of`] makes in this order, so a
    /// made-up or another order's cursor is refused rather than read as a position.
    pub fn check_cursor(self, key: &str) -> Result<()> {
        let valid = match self {
            UserSort::Email | UserSort::EmailDesc => {
                crate::types::Email::parse(key).is_ok_and(|e| e.as_str() == key)
            }
            UserSort::Name | UserSort::NameDesc => {
                key.split_once(CURSOR_SEPARATOR).is_some_and(|(name, id)| {
                    !name.chars().any(char::is_control) && id.parse::<UserId>().is_ok()
                })
            }
            UserSort::Newest | UserSort::Oldest => key.parse::<UserId>().is_ok(),
        };
        if valid {
            Ok(())
        } else {
            Err(crate::error::Error::InvalidCursor)
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UserSort::Email => "email",
            UserSort::EmailDesc => "email_desc",
            UserSort::Name => "name",
            UserSort::NameDesc => "name_desc",
            UserSort::Newest => "newest",
            UserSort::Oldest => "oldest",
        }
    }

    /// Every order.
    pub const ALL: [UserSort; 6] = [
        UserSort::Email,
        UserSort::EmailDesc,
        UserSort::Name,
        UserSort::NameDesc,
        UserSort::Newest,
        UserSort::Oldest,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}
