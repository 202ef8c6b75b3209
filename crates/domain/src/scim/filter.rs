//! SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2), parsed by hand: the grammar is
//! small, and a recursive-descent parser over characters gives every refusal a position. It
//! never panics and never recurses deeper than [`MAX_DEPTH`] (the property tests in
//! `filter_tests.rs` fuzz both).

use serde_json::Value;

pub use super::ast::{AttrPath, CompareOp, Filter, PatchPath};
use crate::error::{Error, Result};

/// The longest filter or path read, in bytes.
pub const MAX_LEN: usize = 4096;
/// How deeply parentheses, `not` and value filters may nest.
pub const MAX_DEPTH: usize = 32;

/// Parses a filter; every refusal is [`Error::ScimInvalidFilter`].
pub fn parse_filter(raw: &str) -> Result<Filter> {
    let mut p = Parser::new(raw).map_err(Error::ScimInvalidFilter)?;
    let filter = p.filter(0, false).map_err(Error::ScimInvalidFilter)?;
    p.skip_space();
    if !p.at_end() {
        return Err(Error::ScimInvalidFilter(p.fail("unexpected text")));
    }
    Ok(filter)
}

/// Parses a PATCH path; every refusal is [`Error::ScimInvalidPath`].
pub fn parse_patch_path(raw: &str) -> Result<PatchPath> {
    let mut p = Parser::new(raw).map_err(Error::ScimInvalidPath)?;
    let parsed = p.patch_path().map_err(Error::ScimInvalidPath)?;
    if !p.at_end() {
        return Err(Error::ScimInvalidPath(p.fail("unexpected text")));
    }
    Ok(parsed)
}

/// Parses an attribute path as `sortBy`, `attributes` and `excludedAttributes` name them.
pub fn parse_attr_path(raw: &str) -> Option<AttrPath> {
    let mut p = Parser::new(raw.trim()).ok()?;
    let path = p.attr_path().ok()?;
    p.at_end().then_some(path)
}

type Step<T> = std::result::Result<T, String>;

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$'
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Step<Self> {
        if text.len() > MAX_LEN {
            return Err(format!("longer than {MAX_LEN} bytes"));
        }
        Ok(Self { text, pos: 0 })
    }

    fn fail(&self, what: &str) -> String {
        format!("{what} at position {}", self.pos)
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_space(&mut self) {
        let trimmed = self.rest().trim_start_matches(' ');
        self.pos = self.text.len() - trimmed.len();
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// A run of name, URI and dot characters.
    fn word(&mut self) -> &'a str {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(name_char(c) || c == ':' || c == '.'))
            .unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }

    /// The keyword `kw` (case-insensitive) followed by a space or `(`; consumed if there.
    fn keyword(&mut self, kw: &str) -> bool {
        let rest = self.rest();
        let Some(head) = rest.get(..kw.len()) else {
            return false;
        };
        let next = rest[kw.len()..].chars().next();
        if head.eq_ignore_ascii_case(kw) && matches!(next, Some(' ' | '(')) {
            self.pos += kw.len();
            true
        } else {
            false
        }
    }

    fn attr_path(&mut self) -> Step<AttrPath> {
        let start = self.pos;
        let word = self.word();
        split_path(word).ok_or_else(|| {
            self.pos = start;
            self.fail("expected an attribute path")
        })
    }

    /// `or` binds loosest, then `and`, then `not` and grouping.
    fn filter(&mut self, depth: usize, inside_value: bool) -> Step<Filter> {
        let mut left = self.conjunction(depth, inside_value)?;
        loop {
            let save = self.pos;
            self.skip_space();
            if self.pos > save && self.keyword("or") {
                self.skip_space();
                let right = self.conjunction(depth, inside_value)?;
                left = Filter::Or(Box::new(left), Box::new(right));
            } else {
                self.pos = save;
                return Ok(left);
            }
        }
    }

    fn conjunction(&mut self, depth: usize, inside_value: bool) -> Step<Filter> {
        let mut left = self.unary(depth, inside_value)?;
        loop {
            let save = self.pos;
            self.skip_space();
            if self.pos > save && self.keyword("and") {
                self.skip_space();
                let right = self.unary(depth, inside_value)?;
                left = Filter::And(Box::new(left), Box::new(right));
            } else {
                self.pos = save;
                return Ok(left);
            }
        }
    }

    fn unary(&mut self, depth: usize, inside_value: bool) -> Step<Filter> {
        if depth >= MAX_DEPTH {
            return Err(self.fail("nested too deeply"));
        }
        if self.keyword("not") {
            self.skip_space();
            if !self.eat('(') {
                return Err(self.fail("expected ( after not"));
            }
            let inner = self.group(depth, inside_value)?;
            return Ok(Filter::Not(Box::new(inner)));
        }
        if self.eat('(') {
            return self.group(depth, inside_value);
        }
        self.attr_expr(depth, inside_value)
    }

    /// The rest of `( filter )`, after the `(`.
    fn group(&mut self, depth: usize, inside_value: bool) -> Step<Filter> {
        self.skip_space();
        let inner = self.filter(depth + 1, inside_value)?;
        self.skip_space();
        if !self.eat(')') {
            return Err(self.fail("expected )"));
        }
        Ok(inner)
    }

    fn attr_expr(&mut self, depth: usize, inside_value: bool) -> Step<Filter> {
        let path = self.attr_path()?;
        if self.eat('[') {
            if inside_value || path.sub.is_some() {
                return Err(self.fail("a value filter cannot appear here"));
            }
            self.skip_space();
            let inner = self.filter(depth + 1, true)?;
            self.skip_space();
            if !self.eat(']') {
                return Err(self.fail("expected ]"));
            }
            return Ok(Filter::ValuePath {
                path,
                filter: Box::new(inner),
            });
        }
        if !self.eat(' ') {
            return Err(self.fail("expected an operator after the attribute"));
        }
        self.skip_space();
        let start = self.pos;
        let op_word = self.word();
        if op_word.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(path));
        }
        let Some(op) = CompareOp::parse(op_word) else {
            self.pos = start;
            return Err(self.fail("expected an operator (eq ne co sw ew gt ge lt le pr)"));
        };
        if !self.eat(' ') {
            return Err(self.fail("expected a value after the operator"));
        }
        self.skip_space();
        let value = self.comp_value()?;
        Ok(Filter::Compare { path, op, value })
    }

    /// `false / null / true / number / string`, as JSON writes them.
    fn comp_value(&mut self) -> Step<Value> {
        let rest = self.rest();
        if rest.starts_with('"') {
            let mut escaped = false;
            for (i, c) in rest.char_indices().skip(1) {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => {
                        let literal = &rest[..=i];
                        let value = serde_json::from_str::<Value>(literal)
                            .map_err(|_| self.fail("invalid string"))?;
                        self.pos += i + 1;
                        return Ok(value);
                    }
                    _ => {}
                }
            }
            return Err(self.fail("unterminated string"));
        }
        let start = self.pos;
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)))
            .unwrap_or(rest.len());
        let literal = &rest[..len];
        let value = match literal {
            "true" | "false" | "null" => serde_json::from_str(literal).ok(),
            _ if literal.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
                serde_json::from_str::<Value>(literal)
                    .ok()
                    .filter(Value::is_number)
            }
            _ => None,
        };
        match value {
            Some(v) => {
                self.pos += len;
                Ok(v)
            }
            None => {
                self.pos = start;
                Err(self.fail("expected a value (string, number, true, false or null)"))
            }
        }
    }

    fn patch_path(&mut self) -> Step<PatchPath> {
        let attr = self.attr_path()?;
        if !self.eat('[') {
            return Ok(PatchPath {
                attr,
                filter: None,
                sub: None,
            });
        }
        if attr.sub.is_some() {
            return Err(self.fail("a value filter follows an attribute, not a sub-attribute"));
        }
        self.skip_space();
        let filter = self.filter(1, true)?;
        self.skip_space();
        if !self.eat(']') {
            return Err(self.fail("expected ]"));
        }
        let sub = if self.eat('.') {
            let start = self.pos;
            let rest = self.rest();
            let len = rest.find(|c| !name_char(c)).unwrap_or(rest.len());
            self.pos += len;
            let sub = &rest[..len];
            if !valid_name(sub) {
                self.pos = start;
                return Err(self.fail("expected a sub-attribute"));
            }
            Some(sub.to_owned())
        } else {
            None
        };
        Ok(PatchPath {
            attr,
            filter: Some(filter),
            sub,
        })
    }
}

/// `ATTRNAME = ALPHA *(nameChar)`.
fn valid_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '$') && name.chars().all(name_char)
}

/// Splits `[URI ":"] name ["." sub]`: the URI is everything up to the last `:`.
fn split_path(word: &str) -> Option<AttrPath> {
    let (uri, local) = match word.rsplit_once(':') {
        Some((uri, local)) if !uri.is_empty() => (Some(uri.to_owned()), local),
        Some(_) => return None,
        None => (None, word),
    };
    let (name, sub) = match local.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (local, None),
    };
    if !valid_name(name) || sub.is_some_and(|s| !valid_name(s)) {
        return None;
    }
    Some(AttrPath {
        uri,
        name: name.to_owned(),
        sub: sub.map(str::to_owned),
    })
}
