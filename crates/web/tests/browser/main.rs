//! End-to-end tests of the dashboard in a real headless Chromium (Debian's `chromium` and
//! `chromedriver`), driven over WebDriver against a real server on 127.0.0.1 port 0 with a
//! real SMTP listener. SQLite only: the routes' logic is covered on both backends by the API
//! tests. Without the browser the tests are skipped with a notice, except under `CI=true`,
//! where that is a failure. Screenshots go to `target/screenshots/`; every screenshotted page is
//! checked with axe-core (installed by `.ci/run` from npm, never committed).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod axe;
mod demo_app;
mod driver;
mod flows;
mod forms;
mod group_shortcuts;
mod server;

mod access_review;
mod access_reviews;
mod applications;
mod bulk;
mod dead_ends;
mod deep_links;
mod landing;
mod links;
mod many_tenants;
mod menu;
mod passkeys;
mod pending;
mod scenario;
mod tenants;
mod tour;
mod webauthn;
