//! One export line parsed in place: the event's fields borrowed from the line's text (owned
//! only where the text escapes a character), `before` and `after` written canonically as the
//! parser reads them (no `serde_json::Value` built). Reads exactly what an `AuditEvent` reads
//! from the same line, so the content hashes alike.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, Visitor};
use time::OffsetDateTime;

use super::canonical::{Content, Json};
use super::raw_json;
use super::verify::LinkRef;
use crate::actor::ActorKind;
use crate::clock::to_micros;
use crate::ids::{AuditEventId, BusinessId};

/// An audit event as an export line holds it.
#[derive(Debug, Deserialize)]
pub(crate) struct Line<'a> {
    pub id: AuditEventId,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    pub business_id: Option<BusinessId>,
    #[serde(borrow)]
    pub actor: LineActor<'a>,
    #[serde(borrow)]
    pub action: Text<'a>,
    #[serde(borrow)]
    pub target: LineTarget<'a>,
    pub before: Option<CanonicalJson>,
    pub after: Option<CanonicalJson>,
    #[serde(borrow)]
    pub request_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub client_ip: Option<Text<'a>>,
    #[serde(borrow)]
    pub user_agent: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub chain: Option<LineLink<'a>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct LineActor<'a> {
    pub kind: ActorKind,
    #[serde(borrow)]
    pub id: Option<Text<'a>>,
    #[serde(borrow)]
    pub label: Text<'a>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct LineTarget<'a> {
    #[serde(borrow)]
    pub kind: Text<'a>,
    #[serde(borrow)]
    pub id: Text<'a>,
    #[serde(borrow)]
    pub label: Text<'a>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct LineLink<'a> {
    pub seq: i64,
    #[serde(borrow)]
    pub prev_hash: Text<'a>,
    #[serde(borrow)]
    pub hash: Text<'a>,
}

impl<'a> Line<'a> {
    /// Parses `text`; fails as `serde_json` would reading an `AuditEvent`.
    pub(crate) fn parse(text: &'a str) -> serde_json::Result<Self> {
        serde_json::from_str(text)
    }

    pub(crate) fn link(&self) -> Option<LinkRef<'_>> {
        self.chain.as_ref().map(|l| LinkRef {
            seq: l.seq,
            prev_hash: &l.prev_hash.0,
            hash: &l.hash.0,
        })
    }

    /// The canonical content.
    pub(crate) fn content(&self) -> Content<'_> {
        Content {
            business_id: self.business_id.map(|b| *b.as_uuid()),
            id: *self.id.as_uuid(),
            occurred_at: to_micros(self.occurred_at),
            actor_kind: self.actor.kind,
            actor_id: self.actor.id.as_deref(),
            actor_label: &self.actor.label.0,
            action: &self.action.0,
            target_kind: &self.target.kind.0,
            target_id: &self.target.id.0,
            target_label: &self.target.label.0,
            before: self.before.as_ref().map(|c| Json::Canonical(&c.0)),
            after: self.after.as_ref().map(|c| Json::Canonical(&c.0)),
            request_id: self.request_id.as_deref(),
            client_ip: self.client_ip.as_deref(),
            user_agent: self.user_agent.as_deref(),
        }
    }
}

/// A JSON value in canonical form, written as it is parsed.
#[derive(Debug)]
pub(crate) struct CanonicalJson(Vec<u8>);

impl<'de> Deserialize<'de> for CanonicalJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut out = Vec::new();
        raw_json::canonical_from(d, &mut out)?;
        Ok(Self(out))
    }
}

/// A string field, borrowed from the line unless it held an escape.
#[derive(Debug)]
pub(crate) struct Text<'a>(pub Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }

            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(TextVisitor)
    }
}
