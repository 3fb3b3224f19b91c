//! The CLI round trip: `solve --out` writes a roster that `check` re-reads and scores the same.

use std::path::PathBuf;

use roster::cli::{RosterCommand, run};

#[test]
fn solve_writes_a_solution_that_check_accepts() {
    let dir = std::env::temp_dir().join(format!("moim-roster-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let instance = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/Instance1.txt");
    let sol = dir.join("Instance1.sol");
    run(RosterCommand::Solve {
        file: instance.clone(),
        time: 30.0,
        seed: 1,
        threads: 1,
        moves: Some(20_000),
        out: Some(sol.clone()),
        json: true,
        verbose: false,
        stop_at: None,
    })
    .expect("solve runs");
    let model = roster::cq::parse(
        &std::fs::read_to_string(&instance).expect("instance"),
        "Instance1",
    )
    .expect("parses");
    let roster =
        roster::cq::parse_solution(&model, &std::fs::read_to_string(&sol).expect("solution"))
            .expect("reads");
    let ev = roster::eval::evaluate(&model, &roster);
    assert!(ev.feasible(), "{:?}", ev.violations);
    run(RosterCommand::Check {
        file: instance,
        solution: sol,
        json: true,
    })
    .expect("check runs");
    // JSON output of rosters round-trips too.
    let json = serde_json::to_string(&roster).expect("json");
    assert_eq!(
        serde_json::from_str::<roster::model::Roster>(&json).expect("back"),
        roster
    );
    let _ = std::fs::remove_dir_all(&dir);
}
