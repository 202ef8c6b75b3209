//! Reading SCIM requests and writing SCIM answers: `application/scim+json` (and plain
//! `application/json`, which clients also send), ETags, query parameters.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gatehouse_domain::scim::ListQuery;
use gatehouse_domain::services::Precondition;
use serde_json::Value;

use super::error::ScimError;

pub const CONTENT_TYPE: &str = "application/scim+json";

/// An answer with a SCIM body.
pub fn scim_json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// An answer with a resource, its `ETag` (and `Location`, for a creation).
pub fn resource(status: StatusCode, body: &Value) -> Response {
    let mut response = scim_json(status, body);
    let meta = &body["meta"];
    let headers = response.headers_mut();
    if let Some(v) = meta["version"]
        .as_str()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        headers.insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED
        && let Some(v) = meta["location"]
            .as_str()
            .and_then(|v| HeaderValue::from_str(v).ok())
    {
        headers.insert(header::LOCATION, v);
    }
    response
}

/// A JSON object body: `application/scim+json`, `application/json`, or no type at all.
pub fn body(headers: &HeaderMap, bytes: &Bytes) -> Result<Value, ScimError> {
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    if let Some(kind) = kind
        && kind != "application/json"
        && kind != CONTENT_TYPE
    {
        return Err(ScimError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            "send application/scim+json",
        ));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        ScimError::new(
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            format!("not JSON: {e}"),
        )
    })?;
    if !value.is_object() {
        return Err(ScimError::new(
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            "the body must be a JSON object",
        ));
    }
    Ok(value)
}

/// The version an ETag (`W/"3"`, `"3"`) names.
fn version_of(tag: &str) -> Option<i64> {
    tag.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .ok()
}

/// `If-Match` as a precondition: `*` or absent is none; a tag that is not ours can never
/// match (412).
pub fn if_match(headers: &HeaderMap) -> Precondition {
    let Some(raw) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) else {
        return Precondition::default();
    };
    if raw.trim() == "*" {
        return Precondition::default();
    }
    let versions: Vec<i64> = raw.split(',').filter_map(version_of).collect();
    Precondition {
        // One of several listed tags: the first (clients send one).
        if_match: Some(versions.first().copied().unwrap_or(-1)),
        version: None,
    }
}

/// Whether `If-None-Match` names the current version (then a GET answers 304).
fn not_modified(headers: &HeaderMap, version: i64) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|raw| {
            raw.trim() == "*" || raw.split(',').any(|t| version_of(t) == Some(version))
        })
}

/// The answer to a `GET` of a resource at `version`: 304 when `If-None-Match` already names
/// it, else 200 with the document `render` makes (only then) and its `ETag`.
pub fn read_answer(headers: &HeaderMap, version: i64, render: impl FnOnce() -> Value) -> Response {
    let response = if not_modified(headers, version) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        scim_json(StatusCode::OK, &render())
    };
    with_etag(response, version)
}

/// `response` with the `ETag` of `version`.
pub fn with_etag(mut response: Response, version: i64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&gatehouse_domain::scim::render::etag(version)) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

/// Query parameters by name, case-insensitively.
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn from_query(query: Option<&str>) -> Result<Self, ScimError> {
        let pairs = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(
            &format!("/?{}", query.unwrap_or_default())
                .parse()
                .map_err(|_| {
                    ScimError::new(StatusCode::BAD_REQUEST, Some("invalidValue"), "bad query")
                })?,
        )
        .map_err(|e| {
            ScimError::new(StatusCode::BAD_REQUEST, Some("invalidValue"), e.body_text())
        })?;
        Ok(Self(pairs.0))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn number(&self, name: &str) -> Result<Option<i64>, ScimError> {
        self.get(name)
            .map(|v| {
                v.trim().parse::<i64>().map_err(|_| {
                    ScimError::new(
                        StatusCode::BAD_REQUEST,
                        Some("invalidValue"),
                        format!("{name} must be a whole number"),
                    )
                })
            })
            .transpose()
    }

    /// A list request's parameters.
    pub fn list_query(&self) -> Result<ListQuery, ScimError> {
        Ok(ListQuery::parse(
            self.get("filter"),
            self.get("sortBy"),
            self.get("sortOrder"),
            self.number("startIndex")?,
            self.number("count")?,
            self.get("attributes"),
            self.get("excludedAttributes"),
        )?)
    }

    pub fn projection(&self) -> Result<gatehouse_domain::scim::Projection, ScimError> {
        Ok(gatehouse_domain::scim::Projection::parse(
            self.get("attributes"),
            self.get("excludedAttributes"),
        )?)
    }
}

/// A `.search` body's query (RFC 7644 §3.4.3): the list parameters as members, the
/// attribute lists as arrays.
pub fn search_query(body: &Value) -> Result<ListQuery, ScimError> {
    let text = |name: &str| body.get(name).and_then(Value::as_str);
    let list = |name: &str| -> Option<String> {
        match body.get(name) {
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        }
    };
    let attributes = list("attributes");
    let excluded = list("excludedAttributes");
    Ok(ListQuery::parse(
        text("filter"),
        text("sortBy"),
        text("sortOrder"),
        body.get("startIndex").and_then(Value::as_i64),
        body.get("count").and_then(Value::as_i64),
        attributes.as_deref(),
        excluded.as_deref(),
    )?)
}

/// A list answer (RFC 7644 §3.4.2).
pub fn list(page: &gatehouse_domain::scim::ListPage) -> Response {
    let body = serde_json::json!({
        "schemas": [gatehouse_domain::scim::schema::LIST_SCHEMA],
        "totalResults": page.total,
        "startIndex": page.start_index,
        "itemsPerPage": page.resources.len(),
        "Resources": page.resources,
    });
    scim_json(StatusCode::OK, &body)
}
