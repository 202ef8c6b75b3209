//! The canonical form of JSON (an export line's or a stored row's `before` or `after`) written
//! straight from the parser, without building a `serde_json::Value`: the parser's calls are the ones a
//! `Value` would be built from (so the bytes are those of the `Value` written canonically),
//! objects are written as they come and rearranged only when their keys are not already in
//! order or repeat (the last of a repeated key wins, as in a `Value`).

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::canonical::string;

/// Appends the canonical form of the JSON text `raw` to `out`.
pub(crate) fn write_canonical(out: &mut Vec<u8>, raw: &str) -> serde_json::Result<()> {
    let mut de = serde_json::Deserializer::from_str(raw);
    canonical_from(&mut de, out)?;
    de.end()
}

/// Appends the canonical form of the value `d` reads next to `out`.
pub(crate) fn canonical_from<'de, D: Deserializer<'de>>(
    d: D,
    out: &mut Vec<u8>,
) -> Result<(), D::Error> {
    Canonical { out }.deserialize(d)
}

/// Writes the value the parser reads next, canonically.
struct Canonical<'o> {
    out: &'o mut Vec<u8>,
}

impl<'de> DeserializeSeed<'de> for Canonical<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Canonical<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        scalar(self.out, &v);
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        scalar(self.out, &v);
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        // A `Value` holds a number that is not finite as null; serde_json writes it so too.
        scalar(self.out, &v);
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        string(self.out, v);
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn visit_none<E>(self) -> Result<(), E> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.out.push(b'[');
        let mut first = true;
        loop {
            let at = self.out.len();
            if !first {
                self.out.push(b',');
            }
            if seq
                .next_element_seed(Canonical {
                    out: &mut *self.out,
                })?
                .is_none()
            {
                self.out.truncate(at);
                break;
            }
            first = false;
        }
        self.out.push(b']');
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let start = self.out.len();
        self.out.push(b'{');
        // Each member's key and where its `"key":value` bytes are in `out`.
        let mut members: Vec<(Cow<'de, str>, Range<usize>)> = Vec::new();
        while let Some(key) = map.next_key_seed(Key)? {
            if !members.is_empty() {
                self.out.push(b',');
            }
            let at = self.out.len();
            string(self.out, &key);
            self.out.push(b':');
            map.next_value_seed(Canonical {
                out: &mut *self.out,
            })?;
            members.push((key, at..self.out.len()));
        }
        self.out.push(b'}');
        let in_order = members
            .windows(2)
            .all(|w| w[0].0.as_bytes() < w[1].0.as_bytes());
        if !in_order {
            rearrange(self.out, start, &members);
        }
        Ok(())
    }
}

/// Rewrites the object written from `start` with its members sorted by key bytes, keeping
/// only the last member of each key.
fn rearrange(out: &mut Vec<u8>, start: usize, members: &[(Cow<'_, str>, Range<usize>)]) {
    let written = out.split_off(start);
    let mut order: Vec<usize> = (0..members.len()).collect();
    // Equal keys: the later member first, so deduplicating keeps it.
    order.sort_by(|&a, &b| {
        members[a]
            .0
            .as_bytes()
            .cmp(members[b].0.as_bytes())
            .then(b.cmp(&a))
    });
    order.dedup_by(|a, b| members[*a].0 == members[*b].0);
    out.push(b'{');
    for (i, &m) in order.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let r = &members[m].1;
        out.extend_from_slice(&written[r.start - start..r.end - start]);
    }
    out.push(b'}');
}

fn scalar(out: &mut Vec<u8>, v: &impl serde::Serialize) {
    // Writing a number into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, v);
}

/// An object's key, borrowed from the text when it holds no escape.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::write_canonical;

    fn via_value(raw: &str) -> String {
        let v: Value = serde_json::from_str(raw).unwrap();
        let mut out = Vec::new();
        super::super::canonical::value(&mut out, &v);
        String::from_utf8(out).unwrap()
    }

    fn direct(raw: &str) -> String {
        let mut out = Vec::new();
        write_canonical(&mut out, raw).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_canonicalises_as_its_value_does() {
        for raw in [
            r#"{"z":1,"a":[true,null,"é"],"m":{"y":[],"b":{}}}"#,
            r#" { "b" : 1.50, "a" : -0, "c": 1e3, "d": 18446744073709551615, "e": -12 } "#,
            r#"{"k":1,"j":2,"k":3}"#,
            r#"{"\u00e9":"\ud83d\ude00 \n \u0001 \/","e\"":"x","a":[{"b":1,"a":2}]}"#,
            r#"[[],{},"",0,-1.25e-7,false]"#,
            r#""just a string""#,
            "null",
        ] {
            assert_eq!(direct(raw), via_value(raw), "{raw}");
        }
    }

    #[test]
    fn what_is_not_json_is_refused() {
        for raw in ["{", "[1,]", "1e400", r#"{"a":1}x"#] {
            let mut out = Vec::new();
            assert!(write_canonical(&mut out, raw).is_err(), "{raw}");
            assert!(serde_json::from_str::<Value>(raw).is_err(), "{raw}");
        }
    }
}
