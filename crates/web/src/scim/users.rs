//! `/Users`: thin adapters over the domain's provisioning services. Requires `scim.provision`
//! (checked once for every SCIM request, in `authenticate`).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use gatehouse_domain::ids::UserId;
use gatehouse_domain::scim::patch::read_patch;
use gatehouse_domain::scim::resource::read_user;
use gatehouse_domain::scim::schema::Resource;

use super::Scim;
use super::error::ScimError;
use super::io::{self, Params};
use crate::extract::Ctx;
use crate::state::AppState;

/// An id that is not one of ours names nothing (404, as another business's does).
fn user_id(raw: &str) -> Result<UserId, ScimError> {
    raw.parse()
        .map_err(|_| ScimError::not_found("no such user"))
}

pub(super) async fn list_users(
    State(s): State<AppState>,
    Scim(access): Scim,
    RawQuery(query): RawQuery,
) -> Result<Response, ScimError> {
    let query = Params::from_query(query.as_deref())?.list_query()?;
    let page = s.gatehouse.scim_list_users(&access, &query).await?;
    Ok(io::list(&page))
}

/// `POST /Users/.search`: the list query in the body.
pub(super) async fn search_users(
    State(s): State<AppState>,
    Scim(access): Scim,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ScimError> {
    let query = io::search_query(&io::body(&headers, &bytes)?)?;
    let page = s.gatehouse.scim_list_users(&access, &query).await?;
    Ok(io::list(&page))
}

pub(super) async fn get_user(
    State(s): State<AppState>,
    Scim(access): Scim,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ScimError> {
    let projection = Params::from_query(query.as_deref())?.projection()?;
    let user = s.gatehouse.scim_get_user(&access, user_id(&id)?).await?;
    Ok(io::read_answer(&headers, user.user.version, || {
        projection.apply(Resource::User, user.render(&s.gatehouse.scim_base()))
    }))
}

pub(super) async fn create_user(
    State(s): State<AppState>,
    Scim(access): Scim,
    Ctx(ctx): Ctx,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ScimError> {
    let input = read_user(&io::body(&headers, &bytes)?)?;
    let user = s.gatehouse.scim_create_user(&access, &ctx, input).await?;
    Ok(io::resource(
        StatusCode::CREATED,
        &user.render(&s.gatehouse.scim_base()),
    ))
}

pub(super) async fn replace_user(
    State(s): State<AppState>,
    Scim(access): Scim,
    Ctx(ctx): Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ScimError> {
    let id = user_id(&id)?;
    let input = read_user(&io::body(&headers, &bytes)?)?;
    let user = s
        .gatehouse
        .scim_replace_user(&access, &ctx, id, input, io::if_match(&headers))
        .await?;
    Ok(io::resource(
        StatusCode::OK,
        &user.render(&s.gatehouse.scim_base()),
    ))
}

pub(super) async fn patch_user(
    State(s): State<AppState>,
    Scim(access): Scim,
    Ctx(ctx): Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ScimError> {
    let id = user_id(&id)?;
    let ops = read_patch(&io::body(&headers, &bytes)?)?;
    let user = s
        .gatehouse
        .scim_patch_user(&access, &ctx, id, &ops, io::if_match(&headers))
        .await?;
    Ok(io::resource(
        StatusCode::OK,
        &user.render(&s.gatehouse.scim_base()),
    ))
}

pub(super) async fn delete_user(
    State(s): State<AppState>,
    Scim(access): Scim,
    Ctx(ctx): Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ScimError> {
    s.gatehouse
        .scim_delete_user(&access, &ctx, user_id(&id)?, io::if_match(&headers))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
