//! Random small models for property tests: every rule kind, hard and soft, with locks.
#![allow(dead_code)]

use proptest::prelude::*;
use roster::model::*;

fn strength() -> impl Strategy<Value = Strength> {
    prop_oneof![Just(Strength::Hard), (1i64..5).prop_map(Strength::Soft)]
}

fn period() -> impl Strategy<Value = Period> {
    prop_oneof![
        Just(Period::Horizon),
        Just(Period::Week),
        Just(Period::Month)
    ]
}

fn rule(ns: usize, nd: usize, ne: usize) -> impl Strategy<Value = Rule> {
    let shifts = proptest::collection::vec(0..ns, 0..=ns.min(2));
    prop_oneof![
        (
            shifts.clone(),
            period(),
            proptest::option::of(0u32..4),
            proptest::option::of(0u32..5)
        )
            .prop_map(|(shifts, period, min, max)| Rule::ShiftCount {
                shifts,
                period,
                min,
                max
            }),
        (
            period(),
            proptest::option::of(0u32..1500),
            proptest::option::of(0u32..2500)
        )
            .prop_map(|(period, min, max)| Rule::TotalMinutes { period, min, max }),
        (1u32..4).prop_map(|max| Rule::MaxConsecutiveWork { max }),
        (1u32..4).prop_map(|min| Rule::MinConsecutiveWork { min }),
        (1u32..4).prop_map(|min| Rule::MinConsecutiveDaysOff { min }),
        (0..ns, 0..ns).prop_map(|(from, to)| Rule::ForbiddenSuccession { from, to }),
        (600u32..1000).prop_map(|minutes| Rule::MinRest { minutes }),
        (0u32..3).prop_map(|max| Rule::MaxWeekends { max }),
        (
            proptest::collection::vec(0..nd, 1..3),
            proptest::collection::vec(0..ns, 0..2)
        )
            .prop_map(|(days, shifts)| Rule::Unavailable { days, shifts }),
        (0..nd, proptest::option::of(0..ns))
            .prop_map(|(day, shift)| Rule::ShiftOnRequest { day, shift }),
        (0..nd, proptest::option::of(0..ns))
            .prop_map(|(day, shift)| Rule::ShiftOffRequest { day, shift }),
        (
            prop_oneof![
                Just(FairnessMeasure::Minutes),
                Just(FairnessMeasure::Weekends),
                proptest::collection::vec(0..ns, 0..2).prop_map(FairnessMeasure::Shifts)
            ],
            proptest::collection::vec(0i64..3, 0..=ne)
        )
            .prop_map(|(measure, history)| Rule::Fairness { measure, history }),
    ]
}

/// A random model with `ne` employees, `nd` days and `ns` shift types.
pub fn model(ne: usize, nd: usize, ns: usize) -> impl Strategy<Value = Model> {
    let shift_types = proptest::collection::vec((0u32..1440, 240u32..720), ns);
    let allowed = proptest::collection::vec(proptest::collection::vec(0..ns, 0..=ns), ne);
    let cover = proptest::collection::vec(
        (
            0..nd,
            0..ns,
            0u32..2,
            0u32..3,
            proptest::option::of(1u32..3),
            1i64..5,
            0i64..3,
        ),
        0..6,
    );
    let scope = prop_oneof![
        Just(Scope::All),
        proptest::collection::vec(0..ne, 1..=ne).prop_map(Scope::Employees)
    ];
    let constraints = proptest::collection::vec((scope, strength(), rule(ns, nd, ne)), 0..8);
    let locks = proptest::collection::vec((0..ne, 0..nd, proptest::option::of(0..ns)), 0..3);
    let weekday = 0u8..7;
    let date = prop_oneof![
        Just(None),
        Just(Some("2024-02-26".to_string())),
        Just(Some("2026-11-28".to_string()))
    ];
    (
        shift_types,
        allowed,
        cover,
        constraints,
        locks,
        weekday,
        date,
    )
        .prop_map(
            move |(st, allowed, cover, constraints, locks, first_weekday, start_date)| Model {
                name: "random".into(),
                // A calendar date fixes the weekday; without one any weekday is fine.
                horizon: Horizon {
                    days: nd,
                    first_weekday: start_date
                        .as_deref()
                        .and_then(parse_iso_date)
                        .map_or(first_weekday, |(y, m, d)| weekday_of_date(y, m, d)),
                    start_date,
                },
                shift_types: st
                    .into_iter()
                    .enumerate()
                    .map(|(i, (start, len))| ShiftType {
                        id: format!("S{i}"),
                        name: format!("S{i}"),
                        start_minute: start,
                        length_minutes: len,
                        colour: None,
                    })
                    .collect(),
                employees: allowed
                    .into_iter()
                    .enumerate()
                    .map(|(i, allowed_shifts)| Employee {
                        id: format!("E{i}"),
                        name: format!("E{i}"),
                        allowed_shifts,
                    })
                    .collect(),
                cover: cover
                    .into_iter()
                    .map(
                        |(day, shift, min, preferred, max, weight_under, weight_over)| Cover {
                            day,
                            shift,
                            min,
                            preferred,
                            max,
                            weight_under,
                            weight_over,
                        },
                    )
                    .collect(),
                constraints: constraints
                    .into_iter()
                    .map(|(scope, strength, rule)| Constraint {
                        name: None,
                        scope,
                        strength,
                        rule,
                    })
                    .collect(),
                locks: {
                    let mut seen = std::collections::HashSet::new();
                    locks
                        .into_iter()
                        .filter(|(e, d, _)| seen.insert((*e, *d)))
                        .map(|(employee, day, shift)| Lock {
                            employee,
                            day,
                            shift,
                        })
                        .collect()
                },
            },
        )
}

/// A random roster for a model shape.
pub fn roster(ne: usize, nd: usize, ns: usize) -> impl Strategy<Value = Roster> {
    proptest::collection::vec(proptest::option::of(0..ns), ne * nd)
        .prop_map(move |cells| Roster { days: nd, cells })
}
