//! Roster benchmarks (run with `bench/rosters/run.sh`, results in docs/BENCHMARKS.md):
//!
//! 1. The demo ward month as `moim demo seed` loads it (25 nurses, 3 shift types, 31 days; and
//!    the engine's own `roster::demo::month_model` with 4 types), generated the way the web
//!    layer does (precheck, then 1 solver thread, the default 2.5 s budget, progress callback):
//!    when the first complete roster (every cell decided, no hard violation) is reported, when
//!    the final roster was found, and when it was returned. Median of 5 seeds.
//! 2. The roster page for 50 members × 31 days: parse the stored row, evaluate every rule,
//!    shape the grids and calendar, render the askama template. Median of 50 renders.

use askama::Template;
use moim_core::rosters::{self as core, Setup, Staff};
use moim_web::flows::rosters::Loaded;
use moim_web::pages::rosters::{Filter, ViewPage, roster_view};
use roster::solve::{Progress, SolveOptions, solve};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use uuid::Uuid;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn solver() {
    // The demo ward as `moim demo seed` loads it (25 nurses, day / evening / night, its rules,
    // leave and requests), mapped by `build_model` exactly as the web layer does.
    let month: jiff::civil::Date = "2026-12-01".parse().expect("date");
    let setup = moim_web::flows::rosters::demo_ward_full(month, None);
    let staff = core::roster_staff(vec![], &setup);
    let ward = core::build_model(&setup, &staff, month, 31, "demo ward")
        .expect("model")
        .model;
    run_solver("demo ward (moim demo seed, 25 x 31, 3 types)", &ward);
    run_solver(
        "engine demo month (roster::demo, 25 x 31, 4 types)",
        &roster::demo::month_model(),
    );
}

/// Generation as `flows::rosters::run_generation` does it: precheck, then the solver on one
/// thread with the web's default time budget and a progress callback. "first complete" = the
/// first progress report with no hard violation; "final" = when the solve returned (the page
/// gets its result then), both from the start of the precheck.
fn run_solver(label: &str, model: &roster::model::Model) {
    let limit = moim_web::flows::rosters::DEFAULT_TIME_LIMIT;
    let (mut first, mut best, mut total, mut costs) = (vec![], vec![], vec![], vec![]);
    for seed in 1..=5u64 {
        let feasible_at: Arc<Mutex<Option<f64>>> = Arc::default();
        let sink = feasible_at.clone();
        let t = Instant::now();
        let pre = roster::explain::precheck(model);
        assert!(pre.is_empty(), "{pre:?}");
        let pre_secs = t.elapsed().as_secs_f64();
        let opts = SolveOptions {
            time_limit: limit,
            seed,
            threads: 1,
            progress: Some(Arc::new(move |p: Progress| {
                if p.hard_violations == 0 {
                    let mut g = sink.lock().expect("lock");
                    if g.is_none() {
                        *g = Some(p.elapsed_secs);
                    }
                }
            })),
            ..Default::default()
        };
        let r = solve(model, &opts).expect("solve");
        let elapsed = t.elapsed().as_secs_f64();
        let f = feasible_at.lock().expect("lock").map(|x| x + pre_secs);
        println!(
            "{label} seed {seed}: first complete roster {:.3} s, final found {:.3} s, final returned {:.3} s, cost {}, hard {}, stop {:?}",
            f.unwrap_or(f64::NAN),
            r.time_to_best_secs + pre_secs,
            elapsed,
            r.evaluation.cost,
            r.evaluation.hard_units,
            r.stop
        );
        first.push(f.unwrap_or(f64::INFINITY));
        best.push(r.time_to_best_secs + pre_secs);
        total.push(elapsed);
        costs.push(r.evaluation.cost as f64);
    }
    println!(
        "{label}: median first complete roster {:.3} s (target < 1 s), median final found {:.3} s, median final returned {:.3} s (target < 3 s, budget {:.1} s), median cost {}",
        median(first),
        median(best),
        median(total),
        limit.as_secs_f64(),
        median(costs)
    );
}

fn page() {
    let n = 50;
    let days = 31;
    let st = |name: &str, start: u32, k: u32, colour: &str| core::ShiftTypeDef {
        id: Uuid::now_v7(),
        name: name.into(),
        start_minute: start,
        length_minutes: 480,
        colour: colour.into(),
        headcount: k,
        weekday_headcount: None,
        holiday_headcount: None,
        allowed: vec![],
    };
    let setup = Setup {
        shift_types: vec![
            st("주간", 420, 12, "#f6c244"),
            st("오후", 900, 10, "#e67e22"),
            st("야간", 1380, 8, "#34495e"),
        ],
        ..Default::default()
    };
    let staff: Vec<Staff> = (0..n)
        .map(|i| Staff {
            user: Uuid::now_v7(),
            name: format!("간호사{i:02}"),
        })
        .collect();
    let start: jiff::civil::Date = "2026-12-01".parse().expect("date");
    let built = core::build_model(&setup, &staff, start, days, "12월").expect("model");
    // A plausible roster: a rotating pattern, 30 of 50 people on each day.
    let mut r = roster::model::Roster::empty(n, days);
    for e in 0..n {
        for d in 0..days {
            let k = (e + d) % 5;
            r.set(e, d, if k < 3 { Some(k) } else { None });
        }
    }
    let row = moim_store::rosters::RosterRow {
        id: Uuid::now_v7(),
        group_id: Uuid::now_v7(),
        name: "12월".into(),
        starts_on: start.to_string(),
        days: days as i64,
        status: "ready".into(),
        built: serde_json::to_string(&built).expect("json"),
        cells: serde_json::to_string(&r).expect("json"),
        locks: "[[0,0],[1,1]]".into(),
        published_cells: Some(serde_json::to_string(&r).expect("json")),
        published_at: Some(0),
        progress: "[]".into(),
        result: None,
        cancel_requested: false,
        share_token: None,
        version: 3,
        live_cells: None,
        live_seq: 0,
        created_by: Uuid::now_v7(),
        created_at: 0,
        updated_at: 0,
    };
    let ctx = moim_web::pages::PageCtx {
        t: moim_web::i18n::Tr::new(moim_core::accounts::Locale::Ko),
        user: None,
        csrf: "x".into(),
        path: "/".into(),
        htmx: false,
        unread: 0,
    };
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..50 {
        let t = Instant::now();
        let l = Loaded::from_row(row.clone()).expect("row");
        let v = roster_view(&l, Some(staff[0].user), false, &Filter::default(), true);
        let html = ViewPage {
            ctx: &ctx,
            a: None,
            manager: true,
            v,
            public: false,
            filter_member: String::new(),
            filter_shift: String::new(),
            notice: None,
            swaps: vec![],
            others: vec![],
            feed_url: None,
            share_abs: String::new(),
        }
        .render()
        .expect("render");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        size = html.len();
    }
    println!(
        "roster page 50 x 31: median {:.2} ms, min {:.2} ms, max {:.2} ms over 50 renders ({} KB of HTML) (target < 50 ms)",
        median(times.clone()),
        times.iter().cloned().fold(f64::INFINITY, f64::min),
        times.iter().cloned().fold(0.0, f64::max),
        size / 1024
    );
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    solver();
    page();
}
