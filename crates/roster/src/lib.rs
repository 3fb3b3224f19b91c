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
//!
//! # Use
//! ```
//! use std::time::Duration;
//! use roster::solve::{solve, SolveOptions};
//!
//! let model = roster::demo::month_model();
//! for issue in roster::explain::precheck(&model) {
//!     println!("{}", issue.message); // proven impossibilities, before any search
//! }
//! let opts = SolveOptions { time_limit: Duration::from_secs(2), max_moves: Some(2_000), ..Default::default() };
//! let result = solve(&model, &opts).expect("valid model");
//! if !result.evaluation.feasible() {
//!     for issue in roster::explain::explain(&model, &result.roster) {
//!         println!("{}", issue.message);
//!     }
//! }
//! println!("cost {}", result.evaluation.cost);
//! ```
#![forbid(unsafe_code)]

#[cfg(feature = "cli")]
pub mod cli;
pub mod cq;
pub mod demo;
pub mod eval;
pub mod explain;
pub mod model;
pub mod solve;
