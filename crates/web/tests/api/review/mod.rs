//! Regression tests for the defects an independent review found (issue 8), each on both
//! backends; races with truly simultaneous requests.

pub mod burst;
mod inputs;
mod keys;
mod last_admin;
mod lockout_race;
mod mfa_gaps;
mod mfa_rule;
