//! Command line: `moim roster solve FILE ...` and `moim roster check FILE SOL`.
//!
//! `FILE` is either a Curtois & Qu benchmark instance (`.txt`) or a model as JSON (`.json`, the
//! serde form of [`crate::model::Model`]). Solutions are the plain-text format of
//! [`crate::cq::write_solution`] or a JSON [`crate::model::Roster`].
//!
//! # Layout
//! - [`RosterCommand`]: the clap subcommands, mounted by the `moim` binary.
//! - [`run`]: executes one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::eval::{Evaluation, evaluate};
use crate::model::{Model, Roster};
use crate::solve::{Progress, SolveOptions, solve};
use crate::{cq, explain};

/// `moim roster ...`
#[derive(Debug, clap::Subcommand)]
pub enum RosterCommand {
    /// Solve a roster problem and print the cost, its breakdown and any remaining violations.
    Solve {
        /// Benchmark instance (.txt), model (.json), or `demo` for the built-in month.
        file: PathBuf,
        /// Time limit in seconds.
        #[arg(long, default_value_t = 10.0)]
        time: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Move budget per thread; with --threads 1 the result is reproducible.
        #[arg(long)]
        moves: Option<u64>,
        /// Write the roster here (text format, or JSON when the name ends in .json).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print one JSON summary line on stdout instead of the human report.
        #[arg(long)]
        json: bool,
        /// Print each improvement to stderr.
        #[arg(long)]
        verbose: bool,
        /// Stop as soon as a roster without hard violations costs at most this much (for
        /// benchmarks: the best-known value; time to best is unaffected).
        #[arg(long)]
        stop_at: Option<i64>,
    },
    /// Re-evaluate a roster and print its cost and breakdown.
    Check {
        file: PathBuf,
        solution: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

fn load_model(path: &Path) -> Result<Model> {
    if path.as_os_str() == "demo" {
        return Ok(crate::demo::month_model());
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if path.extension().is_some_and(|e| e == "json") {
        let m: Model =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        m.validate()?;
        Ok(m)
    } else {
        Ok(cq::parse(&text, &name).with_context(|| format!("parsing {}", path.display()))?)
    }
}

fn load_roster(model: &Model, path: &Path) -> Result<Roster> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    if text.trim_start().starts_with('{') {
        Ok(serde_json::from_str(&text)?)
    } else {
        Ok(cq::parse_solution(model, &text)?)
    }
}

/// Human report: total, per-rule breakdown (rules with the same label summed), violations.
pub fn report(model: &Model, ev: &Evaluation) -> String {
    let mut out = String::new();
    if ev.feasible() {
        out.push_str(&format!("cost {}\n", ev.cost));
    } else {
        out.push_str(&format!(
            "INFEASIBLE: {} hard violation units; soft cost {}\n",
            ev.hard_units, ev.cost
        ));
    }
    let mut by: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for sc in &ev.by_source {
        let x = by.entry(sc.label.as_str()).or_default();
        x.0 += sc.cost;
        x.1 += sc.hard_units;
    }
    out.push_str("breakdown:\n");
    for (label, (cost, hard)) in by {
        if cost != 0 || hard != 0 {
            out.push_str(&format!("  {label:<40} {cost:>8}"));
            if hard != 0 {
                out.push_str(&format!("  ({hard} hard units)"));
            }
            out.push('\n');
        }
    }
    let busiest = ev.by_day.iter().enumerate().max_by_key(|x| x.1);
    if let Some((d, c)) = busiest
        && *c > 0
    {
        out.push_str(&format!(
            "costliest day: {} ({c})\n",
            model.horizon.day_label(d)
        ));
    }
    for v in ev.violations.iter().take(50) {
        out.push_str(&format!("  violation: {}\n", v.message));
    }
    if ev.violations.len() > 50 {
        out.push_str(&format!("  ... and {} more\n", ev.violations.len() - 50));
    }
    out
}

/// Runs one roster subcommand.
pub fn run(cmd: RosterCommand) -> Result<()> {
    match cmd {
        RosterCommand::Solve {
            file,
            time,
            seed,
            threads,
            moves,
            out,
            json,
            verbose,
            stop_at,
        } => {
            let model = load_model(&file)?;
            let pre = explain::precheck(&model);
            if !json {
                for item in &pre {
                    eprintln!("precheck: {}", item.message);
                }
            }
            let cancel = Arc::new(AtomicBool::new(false));
            let progress: Option<crate::solve::ProgressFn> =
                (verbose || stop_at.is_some()).then(|| {
                    let cancel = cancel.clone();
                    Arc::new(move |p: Progress| {
                        if verbose {
                            eprintln!(
                                "{:>8.3}s  cost {:>8}  hard {:>4}",
                                p.elapsed_secs, p.best_cost, p.hard_violations
                            );
                        }
                        if stop_at.is_some_and(|t| p.hard_violations == 0 && p.best_cost <= t) {
                            cancel.store(true, Ordering::Relaxed);
                        }
                    }) as crate::solve::ProgressFn
                });
            let opts = SolveOptions {
                time_limit: Duration::from_secs_f64(time.max(0.0)),
                max_moves: moves,
                seed,
                threads,
                cancel: stop_at.is_some().then_some(cancel),
                progress,
                initial: None,
            };
            let res = solve(&model, &opts)?;
            if let Some(path) = &out {
                let text = if path.extension().is_some_and(|e| e == "json") {
                    serde_json::to_string_pretty(&res.roster)?
                } else {
                    cq::write_solution(&model, &res.roster)
                };
                std::fs::write(path, text)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            if json {
                let line = serde_json::json!({
                    "instance": model.name,
                    "cost": res.evaluation.cost,
                    "hard": res.evaluation.hard_units,
                    "time_to_best": res.time_to_best_secs,
                    "elapsed": res.elapsed_secs,
                    "moves": res.moves,
                    "seed": seed,
                    "threads": threads,
                });
                println!("{line}");
            } else {
                print!("{}", report(&model, &res.evaluation));
                println!(
                    "time to best {:.2} s, {} moves in {:.2} s ({:?})",
                    res.time_to_best_secs, res.moves, res.elapsed_secs, res.stop
                );
                if !res.evaluation.feasible() {
                    for item in explain::explain(&model, &res.roster) {
                        println!("why: {}", item.message);
                    }
                }
            }
        }
        RosterCommand::Check {
            file,
            solution,
            json,
        } => {
            let model = load_model(&file)?;
            let roster = load_roster(&model, &solution)?;
            let ev = evaluate(&model, &roster);
            if json {
                println!(
                    "{}",
                    serde_json::json!({"cost": ev.cost, "hard": ev.hard_units})
                );
            } else {
                print!("{}", report(&model, &ev));
            }
        }
    }
    Ok(())
}
