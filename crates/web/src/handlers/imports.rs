//! Bulk import of users as asynchronous jobs: post a CSV or JSON Lines file, then follow the
//! job's progress and read every row's outcome.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use gatehouse_domain::ids::ImportJobId;
use gatehouse_domain::principal::{Principal, UsersManage};
use gatehouse_domain::services::{ImportFormat, ImportJob};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::extract::{Ctx, Json, Path, Query, RawBody};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_import_job))
        .routes(routes!(get_import_job))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImportQuery {
    /// `csv` or `jsonl`; by default from the `Content-Type` (`application/jsonl`,
    /// `application/x-ndjson` are JSON Lines), otherwise CSV.
    format: Option<ImportFormat>,
    /// Plan every row and report it, writing nothing.
    #[serde(default)]
    dry_run: bool,
}

fn format_of(headers: &HeaderMap) -> ImportFormat {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match essence.as_str() {
        "application/jsonl" | "application/x-ndjson" | "application/x-jsonlines" => {
            ImportFormat::Jsonl
        }
        _ => ImportFormat::Csv,
    }
}

/// Start importing users from a file: CSV with a header row (`email`, optional `name` and
/// `groups`, groups by name separated by `;`) or JSON Lines (`{"email", "name", "groups": […]}`).
/// New emails are invited (`pending`, mailed through the outbox), existing users get the
/// row's name and are added to its groups (never removed), rows that change nothing are
/// skipped, bad rows are reported with their line and change nothing. Answers 202 with the
/// job at once; follow it with `GET /api/v1/user-imports/{job_id}`. Requires `users.manage`,
/// and the rights of every group a row adds someone to.
#[utoipa::path(post, path = "/api/v1/user-imports", tag = "users", params(ImportQuery),
    request_body(description = "The file.",
        content((String = "text/csv"), (String = "application/jsonl"))),
    responses((status = 202, body = ImportJob, headers(("Location" = String)))))]
async fn create_import_job(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Query(q): Query<ImportQuery>,
    headers: HeaderMap,
    RawBody(file): RawBody,
) -> Result<impl IntoResponse, ApiError> {
    let access = principal.authorize::<UsersManage>()?;
    let format = q.format.unwrap_or_else(|| format_of(&headers));
    let job = s
        .gatehouse
        .start_import_job(access, ctx, format, &file, q.dry_run)
        .await?;
    let location = format!("/api/v1/user-imports/{}", job.id);
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(job),
    ))
}

/// An import job: its state (`running`, `succeeded`, `failed`), counts so far, and once
/// finished every row's outcome in file order. A job whose server stopped mid-import is
/// `failed` with `import_interrupted`. Requires `users.manage`.
#[utoipa::path(get, path = "/api/v1/user-imports/{job_id}", tag = "users",
    params(("job_id" = ImportJobId, Path)),
    responses((status = 200, body = ImportJob)))]
async fn get_import_job(
    State(s): State<AppState>,
    principal: Principal,
    Path(id): Path<ImportJobId>,
) -> Result<Json<ImportJob>, ApiError> {
    let access = principal.authorize::<UsersManage>()?;
    Ok(Json(s.gatehouse.import_job(&access, id).await?))
}
