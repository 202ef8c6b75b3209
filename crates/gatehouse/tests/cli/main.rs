//! The `gatehouse` binary as an operator uses it: resource commands against a fresh database
//! (SQLite, and PostgreSQL when `GATEHOUSE_TEST_POSTGRES_URL` is set), clear errors, and
//! `serve` printing its setup, answering `/healthz` and stopping on SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: fail loudly

mod applications;
mod commands;
mod errors;
mod helpers;
mod import;
mod mail;
mod serve;
mod signing_keys;
mod webhooks;
