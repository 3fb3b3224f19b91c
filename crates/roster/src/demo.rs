//! A realistic one-month roster: 25 people, 4 shift types, 31 days, 15 rules. Used by the
//! tests, the "solve while you watch" benchmark and as demo data for the web UI's trial group.
//!
//! # Layout
//! - [`month_model`]: the model (deterministic; no randomness at run time).

use crate::model::*;

/// December 2026 for a 25-person ward: day/mid/evening/night shifts, 20 full-timers and 5
/// part-timers, leave, requests, fairness with history from November, and two pinned cells.
pub fn month_model() -> Model {
    let days = 31;
    let start = "2026-12-01";
    let first_weekday = weekday_of_date(2026, 12, 1);
    let shift = |id: &str, name: &str, start: u32, colour: &str| ShiftType {
        id: id.into(),
        name: name.into(),
        start_minute: start,
        length_minutes: 480,
        colour: Some(colour.into()),
    };
    let shift_types = vec![
        shift("D", "Day", 7 * 60, "#f6c244"),
        shift("M", "Mid", 11 * 60, "#8cc152"),
        shift("E", "Evening", 15 * 60, "#e67e22"),
        shift("N", "Night", 23 * 60, "#34495e"),
    ];
    const NAMES: [&str; 25] = [
        "Anna", "Ben", "Chloe", "Daniel", "Eun-ji", "Farid", "Grace", "Hyun-woo", "Ines", "Jae",
        "Kofi", "Lena", "Min-seo", "Nora", "Omar", "Priya", "Quentin", "Rosa", "Seo-yeon", "Tom",
        "Uma", "Victor", "Wen", "Yusuf", "Zoe",
    ];
    let employees: Vec<Employee> = NAMES
        .iter()
        .enumerate()
        .map(|(i, n)| Employee {
            id: format!("e{i}"),
            name: (*n).into(),
            // Four people do not work nights; two trainees do no mid shifts.
            allowed_shifts: match i {
                3 | 8 | 14 | 19 => vec![0, 1, 2],
                22 | 23 => vec![0, 2, 3],
                _ => vec![],
            },
        })
        .collect();
    let horizon = Horizon {
        days,
        first_weekday,
        start_date: Some(start.into()),
    };
    let mut cover = Vec::new();
    for d in 0..days {
        let weekend = horizon.weekday(d) >= 5;
        // (shift, min, preferred)
        let need: [(usize, u32, u32); 4] = if weekend {
            [(0, 2, 3), (1, 0, 0), (2, 2, 3), (3, 2, 2)]
        } else {
            [(0, 3, 4), (1, 1, 2), (2, 2, 3), (3, 2, 2)]
        };
        for (s, min, preferred) in need {
            cover.push(Cover {
                day: d,
                shift: s,
                min,
                preferred,
                max: Some(preferred + 2),
                weight_under: 30,
                weight_over: 5,
            });
        }
    }
    let full: Vec<EmpIdx> = (0..20).collect();
    let part: Vec<EmpIdx> = (20..25).collect();
    // Night fairness compares only people who work nights; history is November's nights.
    let night: Vec<EmpIdx> = (0..25).filter(|&e| employees[e].may_work(3)).collect();
    let c = |scope: Scope, strength: Strength, rule: Rule| Constraint {
        name: None,
        scope,
        strength,
        rule,
    };
    let mut constraints = vec![
        c(
            Scope::All,
            Strength::Hard,
            Rule::MaxConsecutiveWork { max: 5 },
        ),
        c(
            Scope::All,
            Strength::Hard,
            Rule::MinRest { minutes: 11 * 60 },
        ),
        c(
            Scope::All,
            Strength::Soft(10),
            Rule::MinConsecutiveDaysOff { min: 2 },
        ),
        c(
            Scope::All,
            Strength::Soft(5),
            Rule::MinConsecutiveWork { min: 2 },
        ),
        c(Scope::All, Strength::Hard, Rule::MaxWeekends { max: 3 }),
        c(
            Scope::All,
            Strength::Hard,
            Rule::ShiftCount {
                shifts: vec![3],
                period: Period::Week,
                min: None,
                max: Some(3),
            },
        ),
        c(
            Scope::All,
            Strength::Hard,
            Rule::ShiftCount {
                shifts: vec![],
                period: Period::Week,
                min: None,
                max: Some(5),
            },
        ),
        c(
            Scope::Employees(full.clone()),
            Strength::Hard,
            Rule::TotalMinutes {
                period: Period::Month,
                min: Some(120 * 60),
                max: Some(168 * 60),
            },
        ),
        c(
            Scope::Employees(part.clone()),
            Strength::Hard,
            Rule::TotalMinutes {
                period: Period::Month,
                min: Some(48 * 60),
                max: Some(96 * 60),
            },
        ),
        c(
            Scope::Employees(night.clone()),
            Strength::Soft(8),
            Rule::Fairness {
                measure: FairnessMeasure::Shifts(vec![3]),
                history: night.iter().map(|i| (i % 3) as i64).collect(),
            },
        ),
        c(
            Scope::All,
            Strength::Soft(8),
            Rule::Fairness {
                measure: FairnessMeasure::Weekends,
                history: vec![],
            },
        ),
        c(
            Scope::Employees(full),
            Strength::Soft(1),
            Rule::Fairness {
                measure: FairnessMeasure::Minutes,
                history: vec![],
            },
        ),
    ];
    // Leave (hard) for a few people.
    for (e, from, len) in [
        (1usize, 21usize, 7usize),
        (6, 3, 5),
        (12, 14, 4),
        (17, 26, 5),
        (24, 8, 3),
    ] {
        constraints.push(c(
            Scope::Employees(vec![e]),
            Strength::Hard,
            Rule::Unavailable {
                days: (from..from + len).collect(),
                shifts: vec![],
            },
        ));
    }
    // Requests (soft): days off around Christmas, some wanted shifts.
    for (e, d) in [
        (0usize, 23usize),
        (0, 24),
        (4, 24),
        (5, 30),
        (9, 11),
        (11, 24),
        (15, 5),
        (16, 30),
        (20, 24),
        (21, 18),
    ] {
        constraints.push(c(
            Scope::Employees(vec![e]),
            Strength::Soft(6),
            Rule::ShiftOffRequest {
                day: d,
                shift: None,
            },
        ));
    }
    for (e, d, s) in [
        (2usize, 2usize, 0usize),
        (7, 9, 3),
        (10, 15, 2),
        (13, 20, 0),
        (18, 28, 1),
    ] {
        constraints.push(c(
            Scope::Employees(vec![e]),
            Strength::Soft(4),
            Rule::ShiftOnRequest {
                day: d,
                shift: Some(s),
            },
        ));
    }
    constraints.push(c(
        Scope::Employees(vec![2, 5]),
        Strength::Soft(3),
        Rule::ShiftOffRequest {
            day: 0,
            shift: Some(3),
        },
    ));
    let locks = vec![
        Lock {
            employee: 7,
            day: 0,
            shift: Some(3),
        },
        Lock {
            employee: 3,
            day: 30,
            shift: None,
        },
    ];
    Model {
        name: "December ward (demo)".into(),
        horizon,
        shift_types,
        employees,
        cover,
        constraints,
        locks,
    }
}
