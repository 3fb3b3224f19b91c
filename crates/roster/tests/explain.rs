//! Infeasible inputs come with explanations that name the conflicting rules and people.

use std::time::Duration;

use roster::explain::{IssueKind, explain, precheck};
use roster::model::*;
use roster::solve::{SolveOptions, solve};

fn base(names: &[&str], days: usize) -> Model {
    Model {
        name: "crafted".into(),
        horizon: Horizon {
            days,
            first_weekday: 0,
            start_date: Some("2026-11-02".into()),
        },
        shift_types: vec![
            ShiftType {
                id: "D".into(),
                name: "day".into(),
                start_minute: 420,
                length_minutes: 480,
                colour: None,
            },
            ShiftType {
                id: "N".into(),
                name: "night".into(),
                start_minute: 1380,
                length_minutes: 480,
                colour: None,
            },
        ],
        employees: names
            .iter()
            .map(|n| Employee {
                id: n.to_lowercase(),
                name: (*n).into(),
                allowed_shifts: vec![],
            })
            .collect(),
        cover: vec![],
        constraints: vec![],
        locks: vec![],
    }
}

fn need(day: Day, shift: ShiftIdx, min: u32) -> Cover {
    Cover {
        day,
        shift,
        min,
        preferred: min,
        max: None,
        weight_under: 10,
        weight_over: 1,
    }
}

#[test]
fn precheck_names_who_can_work_and_who_is_blocked() {
    let mut m = base(&["Anna", "Ben", "Carl"], 7);
    m.employees[2].allowed_shifts = vec![0]; // Carl: days only
    m.cover.push(need(5, 1, 2)); // Saturday night needs 2
    m.constraints.push(Constraint {
        name: Some("Ben's holiday".into()),
        scope: Scope::Employees(vec![1]),
        strength: Strength::Hard,
        rule: Rule::Unavailable {
            days: vec![5, 6],
            shifts: vec![],
        },
    });
    let issues = precheck(&m);
    let i = issues
        .iter()
        .find(|i| i.kind == IssueKind::CoverShortfall)
        .expect("a shortfall is found");
    assert_eq!(
        (i.day, i.shift, i.needed, i.available),
        (Some(5), Some(1), 2, 1)
    );
    assert_eq!(i.employees, vec![0]);
    assert_eq!(i.constraints, vec![0], "Ben's holiday is named");
    assert!(
        i.message
            .starts_with("Sat 7 Nov: the night shift needs 2, but only 1 can work it (Anna)"),
        "{}",
        i.message
    );
    assert!(i.message.contains("Ben is unavailable"), "{}", i.message);
    assert!(
        !i.message.contains("Carl"),
        "Carl never works nights, so he is not a blocker: {}",
        i.message
    );
}

#[test]
fn precheck_catches_capacity_and_workload_conflicts() {
    let mut m = base(&["Anna", "Ben"], 14);
    for d in 0..14 {
        m.cover.push(need(d, 1, 1)); // a night every day
    }
    m.constraints.push(Constraint {
        name: None,
        scope: Scope::All,
        strength: Strength::Hard,
        rule: Rule::ShiftCount {
            shifts: vec![1],
            period: Period::Horizon,
            min: None,
            max: Some(5),
        },
    });
    m.constraints.push(Constraint {
        name: None,
        scope: Scope::Employees(vec![1]),
        strength: Strength::Hard,
        rule: Rule::TotalMinutes {
            period: Period::Horizon,
            min: Some(120 * 60),
            max: None,
        },
    });
    let issues = precheck(&m);
    let cap = issues
        .iter()
        .find(|i| i.kind == IssueKind::ShiftTypeCapacity)
        .expect("capacity");
    assert_eq!((cap.needed, cap.available), (14, 10));
    assert_eq!(cap.constraints, vec![0]);
    let wl = issues
        .iter()
        .find(|i| i.kind == IssueKind::EmployeeWorkload)
        .expect("workload");
    assert_eq!(wl.employees, vec![1]);
    assert!(
        wl.message.contains("Ben must work at least 120 hours"),
        "{}",
        wl.message
    );
}

#[test]
fn after_solving_a_weekend_limit_is_named() {
    // Anna and Ben can do nights; Carl cannot. Ben is pinned to last weekend's nights and may work
    // one weekend, so on Saturday 14 only Anna can take the second night place.
    let mut m = base(&["Anna", "Ben", "Carl"], 14);
    m.employees[2].allowed_shifts = vec![0];
    m.cover.push(need(6, 1, 1));
    m.cover.push(need(12, 1, 2));
    m.locks.push(Lock {
        employee: 1,
        day: 5,
        shift: Some(1),
    });
    m.locks.push(Lock {
        employee: 1,
        day: 6,
        shift: Some(1),
    });
    m.constraints.push(Constraint {
        name: None,
        scope: Scope::All,
        strength: Strength::Hard,
        rule: Rule::MaxWeekends { max: 1 },
    });
    // Ben also has a night budget of 2, so taking Saturday 14 would break two rules while the
    // gap breaks one: the solver leaves the gap and the explanation names both of his limits.
    m.constraints.push(Constraint {
        name: None,
        scope: Scope::Employees(vec![1]),
        strength: Strength::Hard,
        rule: Rule::ShiftCount {
            shifts: vec![1],
            period: Period::Horizon,
            min: None,
            max: Some(2),
        },
    });
    assert!(
        precheck(&m)
            .iter()
            .all(|i| i.kind != IssueKind::CoverShortfall),
        "not visible before solving"
    );
    let opts = SolveOptions {
        time_limit: Duration::from_secs(30),
        max_moves: Some(20_000),
        ..SolveOptions::default()
    };
    let res = solve(&m, &opts).expect("solves");
    assert!(!res.evaluation.feasible());
    let issues = explain(&m, &res.roster);
    let i = issues
        .iter()
        .find(|i| i.day == Some(12) && i.shift == Some(1))
        .unwrap_or_else(|| {
            panic!(
                "the Saturday gap is explained: {issues:#?} {:?}",
                res.roster
            )
        });
    assert_eq!(i.needed, 2);
    assert_eq!(i.employees, vec![0], "Anna is on it");
    assert_eq!(
        i.constraints,
        vec![0, 1],
        "the weekend rule and Ben's night budget"
    );
    assert!(
        i.blockers
            .iter()
            .any(|b| b.employee == 1 && b.constraint == Some(0))
    );
    assert!(
        i.message.starts_with("Sat 14 Nov: the night shift needs 2, only 1 is on it (Anna); Ben is at the limit of \"at most 1 working weekends\""),
        "{}",
        i.message
    );
}
