//! Access reviews: administrators (`reviews.manage`) start and close them; anyone with
//! `audit.view` reads them and their reports; each reviewer works through their own items.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gatehouse_domain::ids::{AccessReviewId, ReviewItemId};
use gatehouse_domain::principal::{AnyMember, AuditView, Principal, ReviewsManage};
use gatehouse_domain::services::reviews::{
    AccessReview, Decision, NewReview, ReviewDetail, ReviewItem, ReviewReport, ReviewScope,
    Reviewers,
};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::extract::{Ctx, Json, Path};
use crate::state::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_access_reviews, start_access_review))
        .routes(routes!(list_assigned_review_items))
        .routes(routes!(get_access_review))
        .routes(routes!(close_access_review))
        .routes(routes!(get_access_review_report))
        .routes(routes!(export_access_review_report))
        .routes(routes!(decide_review_item))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StartReviewBody {
    /// 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    scope: ReviewScope,
    reviewers: Reviewers,
    /// When the review is due (RFC 3339): 1 hour to 366 days ahead.
    #[serde(with = "time::serde::rfc3339")]
    due_at: OffsetDateTime,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecisionBody {
    decision: Decision,
    /// Why (up to 500 characters); a removal needs one.
    #[serde(default)]
    #[schema(max_length = 500)]
    comment: String,
}

/// Start a review: every membership of the scope's groups becomes an item for its reviewers
/// (the group's owners and/or the named users; nobody reviews their own membership), who
/// are mailed at once. Requires `reviews.manage`.
#[utoipa::path(post, path = "/api/v1/access-reviews", tag = "access-reviews",
    request_body = StartReviewBody, responses((status = 201, body = AccessReview)))]
async fn start_access_review(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Json(body): Json<StartReviewBody>,
) -> Result<(StatusCode, Json<AccessReview>), ApiError> {
    let access = principal.authorize::<ReviewsManage>()?;
    let new = NewReview {
        name: body.name,
        scope: body.scope,
        reviewers: body.reviewers,
        due_at: body.due_at,
    };
    let review = s.gatehouse.start_access_review(&access, &ctx, &new).await?;
    Ok((StatusCode::CREATED, Json(review)))
}

/// The business's reviews, newest first. Requires `audit.view`.
#[utoipa::path(get, path = "/api/v1/access-reviews", tag = "access-reviews",
    responses((status = 200, body = Vec<AccessReview>)))]
async fn list_access_reviews(
    State(s): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<AccessReview>>, ApiError> {
    let access = principal.authorize::<AuditView>()?;
    Ok(Json(s.gatehouse.list_access_reviews(&access).await?))
}

/// The caller's worklist: the undecided items of open reviews they review, each with what
/// the membership grants and the member's last sign-in. Signed-in users only.
#[utoipa::path(get, path = "/api/v1/access-reviews/assigned", tag = "access-reviews",
    responses((status = 200, body = Vec<ReviewItem>)))]
async fn list_assigned_review_items(
    State(s): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<ReviewItem>>, ApiError> {
    let access = principal.authorize::<AnyMember>()?;
    Ok(Json(s.gatehouse.list_my_review_items(&access).await?))
}

/// A review with every item and its decision. Requires `audit.view`.
#[utoipa::path(get, path = "/api/v1/access-reviews/{access_review_id}", tag = "access-reviews",
    params(("access_review_id" = AccessReviewId, Path)),
    responses((status = 200, body = ReviewDetail)))]
async fn get_access_review(
    State(s): State<AppState>,
    principal: Principal,
    Path(id): Path<AccessReviewId>,
) -> Result<Json<ReviewDetail>, ApiError> {
    let access = principal.authorize::<AuditView>()?;
    Ok(Json(s.gatehouse.get_access_review(&access, id).await?))
}

/// Close an open review and store its report (undecided items: "no decision", their
/// memberships left as they are). Requires `reviews.manage`.
#[utoipa::path(post, path = "/api/v1/access-reviews/{access_review_id}/close", tag = "access-reviews",
    params(("access_review_id" = AccessReviewId, Path)),
    responses((status = 200, body = ReviewReport)))]
async fn close_access_review(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path(id): Path<AccessReviewId>,
) -> Result<Json<ReviewReport>, ApiError> {
    let access = principal.authorize::<ReviewsManage>()?;
    Ok(Json(
        s.gatehouse.close_access_review(&access, &ctx, id).await?,
    ))
}

/// The report of a closed review: who decided what, when. Requires `audit.view`.
#[utoipa::path(get, path = "/api/v1/access-reviews/{access_review_id}/report", tag = "access-reviews",
    params(("access_review_id" = AccessReviewId, Path)),
    responses((status = 200, body = ReviewReport)))]
async fn get_access_review_report(
    State(s): State<AppState>,
    principal: Principal,
    Path(id): Path<AccessReviewId>,
) -> Result<Json<ReviewReport>, ApiError> {
    let access = principal.authorize::<AuditView>()?;
    Ok(Json(s.gatehouse.access_review_report(&access, id).await?))
}

/// The report as CSV, one row per membership reviewed. Requires `audit.view`.
#[utoipa::path(get, path = "/api/v1/access-reviews/{access_review_id}/report.csv", tag = "access-reviews",
    params(("access_review_id" = AccessReviewId, Path)),
    responses((status = 200, content_type = "text/csv", body = String)))]
async fn export_access_review_report(
    State(s): State<AppState>,
    principal: Principal,
    Path(id): Path<AccessReviewId>,
) -> Result<Response, ApiError> {
    let access = principal.authorize::<AuditView>()?;
    let report = s.gatehouse.access_review_report(&access, id).await?;
    let mut r = crate::pages::review_report_csv(&report).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    Ok(r)
}

/// Keep or remove a membership the caller reviews; a removal takes effect at once (the next
/// check is denied). An item the caller does not review is not found. Signed-in users only.
#[utoipa::path(post, path = "/api/v1/access-reviews/{access_review_id}/items/{review_item_id}/decision",
    tag = "access-reviews", request_body = DecisionBody,
    params(("access_review_id" = AccessReviewId, Path), ("review_item_id" = ReviewItemId, Path)),
    responses((status = 200, body = ReviewItem)))]
async fn decide_review_item(
    State(s): State<AppState>,
    principal: Principal,
    Ctx(ctx): Ctx,
    Path((review, item)): Path<(AccessReviewId, ReviewItemId)>,
    Json(body): Json<DecisionBody>,
) -> Result<Json<ReviewItem>, ApiError> {
    let access = principal.authorize::<AnyMember>()?;
    Ok(Json(
        s.gatehouse
            .decide_review_item(&access, &ctx, review, item, body.decision, &body.comment)
            .await?,
    ))
}
