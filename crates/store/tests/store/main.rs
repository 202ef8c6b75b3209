//! The store test suite: every test runs against SQLite and against PostgreSQL (skipped with
//! a notice when `GATEHOUSE_TEST_POSTGRES_URL` is unset, failing under CI).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod harness;

mod applications;
mod audit;
mod audit_chain;
mod change_feed;
mod concurrency;
mod escalation;
mod groups;
mod import;
mod mail;
mod member_plans;
mod passkeys;
mod plans;
mod signing_keys;
mod sorting;
mod user_status;
mod users;
