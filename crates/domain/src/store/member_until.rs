//! How long the memberships a write adds last, and what becomes of one that exists.

use time::OffsetDateTime;

/// The end of the memberships [`super::GroupWrites::add_group_members`] adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberUntil {
    /// Until this instant (temporary access). An existing temporary membership takes this
    /// end; a permanent one stays permanent.
    At(OffsetDateTime),
    /// With no end. An existing temporary membership becomes permanent: an administrator's
    /// choice, made in so many words.
    Always,
    /// With no end when new; an existing membership keeps its end. What an identity provider
    /// (SCIM) or an import asserts is that the person is a member, not for how long: a
    /// provider writing back the member list it read must not make temporary access
    /// permanent.
    KeepEnd,
}

impl MemberUntil {
    /// The end a new membership gets.
    pub fn end(self) -> Option<OffsetDateTime> {
        match self {
            Self::At(end) => Some(end),
            Self::Always | Self::KeepEnd => None,
        }
    }
}
