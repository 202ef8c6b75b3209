//! Listing with a query (RFC 7644 §3.4.2): filter, sort, page (`startIndex` from 1, `count`
//! capped), over documents already rendered and candidates read by index.

use serde_json::Value;

use super::eval::{matches, sort_key};
use super::filter::{AttrPath, CompareOp, Filter, parse_attr_path, parse_filter};
use super::resource::Projection;
use super::schema::Resource;
use crate::error::{Error, Result};

/// The most resources one page returns (`filter.maxResults` of the configuration).
pub const MAX_COUNT: usize = 1000;

/// A list request, read.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    pub sort_by: Option<AttrPath>,
    pub descending: bool,
    /// 1-based; anything below 1 is 1.
    pub start_index: usize,
    /// `None`: up to [`MAX_COUNT`]; 0 gives only the total.
    pub count: Option<usize>,
    pub projection: Projection,
}

impl ListQuery {
    /// Reads the query parameters (or a `.search` body's members).
    pub fn parse(
        filter: Option<&str>,
        sort_by: Option<&str>,
        sort_order: Option<&str>,
        start_index: Option<i64>,
        count: Option<i64>,
        attributes: Option<&str>,
        excluded: Option<&str>,
    ) -> Result<Self> {
        let filter = filter
            .filter(|f| !f.trim().is_empty())
            .map(parse_filter)
            .transpose()?;
        let sort_by = match sort_by.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(parse_attr_path(s).ok_or_else(|| {
                Error::ScimInvalidValue(format!("sortBy: {s} is not an attribute path"))
            })?),
            None => None,
        };
        let descending = match sort_order.map(str::to_ascii_lowercase).as_deref() {
            None | Some("ascending") => false,
            Some("descending") => true,
            Some(_) => {
                return Err(Error::ScimInvalidValue(
                    "sortOrder must be ascending or descending".into(),
                ));
            }
        };
        let start_index = usize::try_from(start_index.unwrap_or(1).max(1)).unwrap_or(1);
        let count = count.map(|c| usize::try_from(c.max(0)).unwrap_or(0).min(MAX_COUNT));
        Ok(Self {
            filter,
            sort_by,
            descending,
            start_index,
            count,
            projection: Projection::parse(attributes, excluded)?,
        })
    }

    /// The value of `attr eq "…"` when the filter is that (alone or and-ed with more): the
    /// candidates can then be read by index.
    pub fn equality(&self, attr: &str) -> Option<String> {
        fn find(f: &Filter, attr: &str) -> Option<String> {
            match f {
                Filter::Compare {
                    path,
                    op: CompareOp::Eq,
                    value: Value::String(v),
                } if path.sub.is_none() && path.name.eq_ignore_ascii_case(attr) => Some(v.clone()),
                Filter::And(a, b) => find(a, attr).or_else(|| find(b, attr)),
                _ => None,
            }
        }
        self.filter.as_ref().and_then(|f| find(f, attr))
    }

    /// Whether the answer or the filter needs attribute `name` (a top-level attribute of
    /// the core schema): to skip reading what nobody asked for, such as a group's members.
    pub fn reads(&self, name: &str) -> bool {
        fn names(f: &Filter, name: &str) -> bool {
            match f {
                Filter::Compare { path, .. }
                | Filter::Present(path)
                | Filter::ValuePath { path, .. } => path.name.eq_ignore_ascii_case(name),
                Filter::And(a, b) | Filter::Or(a, b) => names(a, name) || names(b, name),
                Filter::Not(f) => names(f, name),
            }
        }
        self.projection.wants(name) || self.filter.as_ref().is_some_and(|f| names(f, name))
    }

    /// Filters, sorts and pages rendered documents.
    pub fn run(&self, resource: Resource, docs: Vec<Value>) -> Result<ListPage> {
        let mut hits = Vec::with_capacity(docs.len());
        for doc in docs {
            let keep = match &self.filter {
                Some(f) => matches(resource, &doc, f)?,
                None => true,
            };
            if keep {
                hits.push(doc);
            }
        }
        if let Some(by) = &self.sort_by {
            let mut keyed = Vec::with_capacity(hits.len());
            for doc in hits {
                keyed.push((sort_key(resource, &doc, by)?, doc));
            }
            // Resources without a value sort last either way (RFC 7644 §3.4.2.3).
            keyed.sort_by(|(a, _), (b, _)| match (a, b) {
                (Some(a), Some(b)) if self.descending => b.cmp(a),
                (Some(a), Some(b)) => a.cmp(b),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            });
            hits = keyed.into_iter().map(|(_, d)| d).collect();
        }
        let total = hits.len();
        let count = self.count.unwrap_or(MAX_COUNT);
        let resources: Vec<Value> = hits
            .into_iter()
            .skip(self.start_index - 1)
            .take(count)
            .map(|d| self.projection.apply(resource, d))
            .collect();
        Ok(ListPage {
            total,
            start_index: self.start_index,
            resources,
        })
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct ListPage {
    pub total: usize,
    pub start_index: usize,
    pub resources: Vec<Value>,
}
