//! Recurring access reviews: a schedule starts the same review every N days.

use axum::extract::State;
use axum::http::StatusCode;
use gatehouse_domain::ids::ReviewScheduleId;
use gatehouse_domain::principal::{AuditView, Principal, ReviewsManage};
use gatehouse_domain::services::reviews::{NewSchedule, ReviewSchedule, ReviewScope, Reviewers};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::extract::{Ctx, Json, Path};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_review_schedules, create_review_schedule))
        .routes(routes!(delete_review_schedule))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScheduleBody {
    /// 1–100 characters; each review it starts has this name.
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    scope: ReviewScope,
    reviewers: Reviewers,
    /// A review starts every this many days (7–366; quarterly: 91).
    #[schema(minimum = 7, maximum = 366)]
    every_days: u32,
    /// Each review is due this many days after it starts (1 to `every_days`).
    #[schema(minimum = 1, maximum = 366)]
    review_days: u32,
    /// The first start (RFC 3339, within a year); now when absent.
    #[serde(default, with = "time::serde::rfc3339::option")]
    first_at: Option<OffsetDateTime>,
}

/// Schedule a recurring review. Requires `reviews.manage`.
#[utoipa::path(post, path = "/api/v1/access-review-schedules", tag = "access-reviews",
    request_body = ScheduleBody, responses((status = 201, body = ReviewSchedule)))]
async fn create_review_schedule(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Json(body): Json<ScheduleBody>,
) -> Result<(StatusCode, Json<ReviewSchedule>), ApiError> {
    let access = principal.authorize::<ReviewsManage>()?;
    let new = NewSchedule {
        name: body.name,
        scope: body.scope,
        reviewers: body.reviewers,
        every_days: body.every_days,
        review_days: body.review_days,
        first_at: body.first_at,
    };
    let schedule = s
        .gatehouse
        .create_review_schedule(&access, &ctx, &new)
        .await?;
    Ok((StatusCode::CREATED, Json(schedule)))
}

/// The business's review schedules. Requires `audit.view`.
#[utoipa::path(get, path = "/api/v1/access-review-schedules", tag = "access-reviews",
    responses((status = 200, body = Vec<ReviewSchedule>)))]
async fn list_review_schedules(
    State(s): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<ReviewSchedule>>, ApiError> {
    let access = principal.authorize::<AuditView>()?;
    Ok(Json(s.gatehouse.list_review_schedules(&access).await?))
}

/// Delete a schedule; the reviews it started stay. Requires `reviews.manage`.
#[utoipa::path(delete, path = "/api/v1/access-review-schedules/{review_schedule_id}",
    tag = "access-reviews", params(("review_schedule_id" = ReviewScheduleId, Path)),
    responses((status = 204)))]
async fn delete_review_schedule(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<ReviewScheduleId>,
) -> Result<StatusCode, ApiError> {
    let access = principal.authorize::<ReviewsManage>()?;
    s.gatehouse
        .delete_review_schedule(&access, &ctx, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
