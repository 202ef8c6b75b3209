//! The API test suite: a real server on 127.0.0.1 port 0 per test, on SQLite and on
//! PostgreSQL (skipped with a notice when `GATEHOUSE_TEST_POSTGRES_URL` is unset, failing
//! under CI).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod browser;
mod helpers;

mod access_dashboard;
mod access_health;
mod access_reviews;
mod account_admin;
mod account_forms;
mod applications;
mod audit;
mod audit_chain;
mod auth;
mod authz;
mod bad_input;
mod connections;
mod dashboard;
mod dashboard_import;
mod error_codes;
mod groups;
mod invitations;
mod isolation;
mod lockout;
mod mail_delivery;
mod metrics;
mod mfa;
mod oidc;
mod openapi;
mod operator;
mod passkeys;
mod proxies;
mod review;
mod scim;
mod sessions;
mod setup;
mod sign_in;
mod sign_in_links;
mod strict_input;
mod user_imports;
mod user_totals;
mod users;
mod webhooks;
