//! moim's roster engine: a shift-scheduling model, an exact evaluator, a near-optimal solver
//! and explanations a group leader can act on. Pure Rust, CPU-bound, no I/O except in `cli`;
//! the web layer calls [`solve::solve`] on a blocking thread.
//!
//! # Layout
//! - [`model`]: the data (horizon, shift types, staff, cover, rules, locks) and [`model::Roster`].
//! - [`eval`]: the exact, readable evaluator ([`eval::evaluate`]) — the reference semantics.
//! - [`cq`]: reader for the Curtois & Qu benchmark format and a solution writer/reader.
//! - [`solve`]: incremental state, moves, construction, local search and threads.
//! - [`explain`]: pre-solve necessary checks and post-solve explanations of hard violations.
//! - [`demo`]: a realistic month (25 people, 4 shift types, 31 days) for tests and demos.
//! - [`cli`] (feature `cli`): `solve` / `check` subcommands, mounted by `moim roster`.
#![forbid(unsafe_code)]

#[cfg(feature = "cli")]
pub mod cli;
pub mod cq;
pub mod demo;
pub mod eval;
pub mod explain;
pub mod model;
pub mod solve;
