//! The administration dashboard under `/b/{slug}/admin`: users, user groups, the audit log,
//! security settings, API keys, applications, tenants, and the signed-in user's profile (the
//! account page, `pages/account.rs`, in the dashboard's frame). Server-rendered (askama),
//! working without JavaScript (one small script of our own adds copy buttons and floating,
//! keyboard-driven Actions menus); forms post, then redirect with a success notice. Every
//! handler checks its permission on the server first; the navigation only hides what the
//! user may not use.

mod access_end;
mod access_health;
mod access_requests;
mod access_review;
mod access_reviews;
mod api_keys;
mod application_edit;
mod application_form;
mod applications;
mod audit;
mod audit_export;
mod audit_filter;
mod audit_words;
mod context;
mod delivery;
pub(crate) mod fields;
mod group_choice;
mod group_editor;
mod group_form;
mod group_members;
mod group_owners;
mod group_review;
mod groups;
mod invitations;
mod invite;
mod matrix;
mod provisioning;
mod self_loss;
mod settings;
mod tenants;
mod user;
mod user_actions;
mod user_edit;
mod users;
mod users_bulk;
mod users_export;
mod users_import;
mod webhooks;
mod words;

pub(crate) use access_health::access_health_csv;
pub(crate) use access_review::review_report_csv;
pub(crate) use context::{Chrome, Dash, DashForm, describe, notice_text, page, page_with};
pub(crate) use fields::{Fields, Params, encode};
pub(crate) use user::when;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::browser::Browser;
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    let b = "/b/{slug}/admin";
    Router::new()
        .route("/static/dashboard.css", get(stylesheet))
        .route("/static/dashboard.js", get(script))
        .route(b, get(context::home))
        .route(&format!("{b}/users"), get(users::list_users_page))
        .route(
            &format!("{b}/users/bulk"),
            axum::routing::post(users_bulk::bulk),
        )
        .route(
            &format!("{b}/users/export.csv"),
            get(users_export::export_csv),
        )
        .route(
            &format!("{b}/users/import"),
            get(users_import::import_page).post(users_import::import_users),
        )
        .route(
            &format!("{b}/users/new"),
            get(invite::invite_page).post(invite::invite_user),
        )
        .route(&format!("{b}/users/{{id}}"), get(user::user_page))
        .route(
            &format!("{b}/users/{{id}}/edit"),
            get(user_edit::edit_page).post(user_edit::edit_user),
        )
        .route(
            &format!("{b}/users/{{id}}/do/{{action}}"),
            get(user_actions::confirm_page).post(user_actions::perform),
        )
        .route(&format!("{b}/groups"), get(groups::list_groups_page))
        .route(
            &format!("{b}/groups/new"),
            get(group_editor::new_group_page).post(group_editor::save_new_group),
        )
        .route(
            &format!("{b}/groups/{{id}}"),
            get(group_editor::edit_group_page).post(group_editor::save_group),
        )
        .route(
            &format!("{b}/groups/{{id}}/delete"),
            get(groups::delete_page).post(groups::delete_group),
        )
        .route(
            &format!("{b}/groups/{{id}}/members"),
            get(group_members::members_page).post(group_members::add_member),
        )
        .route(
            &format!("{b}/groups/{{id}}/members/{{user}}/remove"),
            axum::routing::post(group_members::remove_member),
        )
        .route(&format!("{b}/audit"), get(audit::audit_page))
        .route(
            &format!("{b}/access-health"),
            get(access_health::access_health_page),
        )
        .route(
            &format!("{b}/access-health/export.csv"),
            get(access_health::export_csv),
        )
        .route(
            &format!("{b}/access-health/digest"),
            axum::routing::post(access_health::save_digest),
        )
        .route(
            &format!("{b}/access-requests"),
            get(access_requests::inbox_page),
        )
        .route(
            &format!("{b}/access-requests/{{id}}/{{decision}}"),
            axum::routing::post(access_requests::decide),
        )
        .route(
            &format!("{b}/access-reviews"),
            get(access_reviews::reviews_page).post(access_reviews::start_review),
        )
        .route(
            &format!("{b}/access-reviews/{{id}}"),
            get(access_review::review_page),
        )
        .route(
            &format!("{b}/access-reviews/{{id}}/close"),
            axum::routing::post(access_review::close),
        )
        .route(
            &format!("{b}/access-reviews/{{id}}/report.csv"),
            get(access_review::export_csv),
        )
        .route(
            &format!("{b}/access-reviews/{{id}}/report.json"),
            get(access_review::export_json),
        )
        .route(
            &format!("{b}/access-reviews/{{id}}/items/{{item}}/decide"),
            axum::routing::post(access_reviews::decide),
        )
        .route(
            &format!("{b}/groups/{{id}}/owners"),
            axum::routing::post(group_owners::add_owner),
        )
        .route(
            &format!("{b}/groups/{{id}}/owners/{{user}}/remove"),
            axum::routing::post(group_owners::remove_owner),
        )
        .route(
            &format!("{b}/settings/advisor"),
            axum::routing::post(access_health::save_thresholds),
        )
        .route(
            &format!("{b}/audit/export.csv"),
            get(audit_export::export_csv),
        )
        .route(
            &format!("{b}/audit/export.jsonl"),
            get(audit_export::export_jsonl),
        )
        .route(
            &format!("{b}/settings"),
            get(settings::settings_page).post(settings::save_settings),
        )
        .route(
            &format!("{b}/api-keys"),
            get(api_keys::api_keys_page).post(api_keys::create_api_key),
        )
        .route(
            &format!("{b}/api-keys/{{id}}/revoke"),
            get(api_keys::revoke_page).post(api_keys::revoke_api_key),
        )
        .route(
            &format!("{b}/provisioning"),
            get(provisioning::provisioning_page).post(provisioning::save_provisioning),
        )
        .route(
            &format!("{b}/applications"),
            get(applications::applications_page),
        )
        .route(
            &format!("{b}/applications/new"),
            get(application_edit::new_application_page).post(application_edit::create_application),
        )
        .route(
            &format!("{b}/applications/{{id}}"),
            get(application_edit::edit_application_page).post(application_edit::save_application),
        )
        .route(
            &format!("{b}/applications/{{id}}/{{action}}"),
            get(applications::confirm_page).post(applications::perform),
        )
        .route(
            &format!("{b}/webhooks"),
            get(webhooks::webhooks_page).post(webhooks::create_webhook),
        )
        .route(
            &format!("{b}/webhooks/{{id}}/enabled"),
            axum::routing::post(webhooks::set_enabled),
        )
        .route(
            &format!("{b}/webhooks/{{id}}/deliveries/{{delivery}}/replay"),
            axum::routing::post(webhooks::replay),
        )
        .route(
            &format!("{b}/tenants"),
            get(tenants::tenants_page).post(tenants::create_tenant),
        )
        .route(
            &format!("{b}/tenants/{{id}}"),
            get(tenants::rename_form).post(tenants::rename_tenant),
        )
        .merge(super::account::routes::<super::account::InDashboard>(
            &format!("{b}/profile"),
        ))
}

/// An unknown address under `/b/{slug}/admin`: the 404 page inside the dashboard's frame
/// (or what replaces any dashboard page: sign-in, an unknown business).
pub(crate) async fn not_found(state: &AppState, browser: Browser, slug: &str) -> Response {
    match context::Dash::load(state, browser, slug).await {
        Ok(d) => d.not_found_page(),
        Err(answer) => answer,
    }
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../static/dashboard.css"),
    )
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../static/dashboard.js"),
    )
}
