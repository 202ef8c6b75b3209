//! `/Groups`: membership of Gatehouse groups. Requires `scim.provision` (checked once for
//! every SCIM request, in `authenticate`).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use gatehouse_domain::ids::GroupId;
use gatehouse_domain::scim::GroupInput;
use gatehouse_domain::scim::group_patch::group_change;
use gatehouse_domain::scim::patch::read_patch;
use gatehouse_domain::scim::schema::Resource;

use super::Scim;
use super::error::ScimError;
use super::io::{self, Params};
use crate::extract::Ctx;
use crate::state::AppState;

fn group_id(raw: &str) -> Result<GroupId, ScimError> {
    raw.parse()
        .map_err(|_| ScimError::not_found("no such group"))
}

pub(super) async fn list_groups(
    State(s): State<AppState>,
    Scim(access): Scim,
    RawQuery(query): RawQuery,
) -> Result<Response, ScimError> {
    let query = Params::from_query(query.as_deref())?.list_query()?;
    let with_members = query.reads("members");
    let page = s
        .gatehouse
        .scim_list_groups(&access, &query, with_members)
        .await?;
    Ok(io::list(&page))
}

/// `POST /Groups/.search`: the list query in the body.
pub(super) async fn search_groups(
    State(s): State<AppState>,
    Scim(access): Scim,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ScimError> {
    let query = io::search_query(&io::body(&headers, &bytes)?)?;
    let page = s
        .gatehouse
        .scim_list_groups(&access, &query, query.reads("members"))
        .await?;
    Ok(io::list(&page))
}

/// `POST /.search`: users and groups at once (a filter naming what one of them lacks
/// matches none of it).
pub(super) async fn search_everything(
    State(s): State<AppState>,
    Scim(access): Scim,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ScimError> {
    let body = io::body(&headers, &bytes)?;
    let query = io::search_query(&body)?;
    let whole = gatehouse_domain::scim::ListQuery {
        start_index: 1,
        count: None,
        ..query.clone()
    };
    let users = s.gatehouse.scim_list_users(&access, &whole).await;
    let groups = s
        .gatehouse
        .scim_list_groups(&access, &whole, query.reads("members"))
        .await;
    let (users, groups) = match (users, groups) {
        (Err(e), Err(_)) => return Err(e.into()),
        (u, g) => (
            u.map(|p| p.resources).unwrap_or_default(),
            g.map(|p| p.resources).unwrap_or_default(),
        ),
    };
    let all: Vec<serde_json::Value> = users.into_iter().chain(groups).collect();
    let page = gatehouse_domain::scim::ListPage {
        total: all.len(),
        start_index: query.start_index,
        resources: all
            .into_iter()
            .skip(query.start_index - 1)
            .take(query.count.unwrap_or(gatehouse_domain::scim::MAX_COUNT))
            .collect(),
    };
    Ok(io::list(&page))
}

pub(super) async fn get_group(
    State(s): State<AppState>,
    Scim(access): Scim,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ScimError> {
    let projection = Params::from_query(query.as_deref())?.projection()?;
    let id = group_id(&id)?;
    let group = s
        .gatehouse
        .scim_get_group(&access, id, projection.wants("members"))
        .await?;
    Ok(io::read_answer(&headers, group.group.version, || {
        projection.apply(Resource::Group, group.render(&s.gatehouse.scim_base()))
    }))
}

async fn rendered(
    s: &AppState,
    access: &gatehouse_domain::principal::BusinessAccess<
        gatehouse_domain::principal::ScimProvision,
    >,
    id: GroupId,
    status: StatusCode,
) -> Result<Response, ScimError> {
    let group = s.gatehouse.scim_get_group(access, id, true).await?;
    Ok(io::resource(
        status,
        &group.render(&s.gatehouse.scim_base()),
    ))
}

pub(super) async fn create_group(
    State(s): State<AppState>,
    Scim(access): Scim,
    Ctx(ctx): Ctx,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ScimError> {
    let input = GroupInput::read(&io::body(&headers, &bytes)?)?;
    let group = s.gatehouse.scim_create_group(&access, &ctx, input).await?;
    rendered(&s, &access, group.group.id, StatusCode::CREATED).await
}

pub(super) async fn replace_group(
    State(s): State<AppState>,
    Scim(access): Scim,
    Ctx(ctx): Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ScimError> {
    let id = group_id(&id)?;
    let input = GroupInput::read(&io::body(&headers, &bytes)?)?;
    s.gatehouse
        .scim_replace_group(&access, &ctx, id, input, io::if_match(&headers))
        .await?;
    rendered(&s, &access, id, StatusCode::OK).await
}

/// PATCH answers 204: a large group's members are not read back (RFC 7644 §3.5.2 allows
/// it); the new ETag is in the header.
pub(super) async fn patch_group(
    State(s): State<AppState>,
    Scim(access): Scim,
    Ctx(ctx): Ctx,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ScimError> {
    let id = group_id(&id)?;
    let change = group_change(&read_patch(&io::body(&headers, &bytes)?)?)?;
    let group = s
        .gatehouse
        .scim_change_group(&access, &ctx, id, change, io::if_match(&headers))
        .await?;
    // Asked for attributes: answer with the group (without members unless asked).
    let params = Params::from_query(query.as_deref())?;
    if params.get("attributes").is_some() || params.get("excludedAttributes").is_some() {
        let projection = params.projection()?;
        let group = s
            .gatehouse
            .scim_get_group(&access, id, projection.wants("members"))
            .await?;
        let doc = projection.apply(Resource::Group, group.render(&s.gatehouse.scim_base()));
        return Ok(io::scim_json(StatusCode::OK, &doc));
    }
    Ok(io::with_etag(
        StatusCode::NO_CONTENT.into_response(),
        group.group.version,
    ))
}

pub(super) async fn delete_group(
    State(s): State<AppState>,
    Scim(access): Scim,
    Ctx(ctx): Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ScimError> {
    s.gatehouse
        .scim_delete_group(&access, &ctx, group_id(&id)?, io::if_match(&headers))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
