//! The evaluator reproduces costs computed by hand, and never calls a roster feasible when an
//! independent brute-force checker finds a broken hard rule.

mod common;

use proptest::prelude::*;
use roster::cq;
use roster::eval::evaluate;
use roster::model::*;

/// A tiny benchmark-format instance whose costs are worked out by hand below.
const TINY: &str = "\
SECTION_HORIZON
7

SECTION_SHIFTS
D,480,
N,600,D

SECTION_STAFF
A,D=7|N=2,2880,1440,4,2,2,1
B,D=7|N=0,2400,960,4,1,1,0

SECTION_DAYS_OFF
B,3

SECTION_SHIFT_ON_REQUESTS
A,0,D,2

SECTION_SHIFT_OFF_REQUESTS
B,1,D,3

SECTION_COVER
0,D,1,100,1
1,D,1,100,1
2,D,2,100,1
3,D,1,100,1
4,D,1,100,1
5,D,1,100,1
6,D,0,100,1
0,N,0,100,1
1,N,0,100,1
2,N,1,100,1
3,N,1,100,1
4,N,0,100,1
5,N,0,100,1
6,N,0,100,1
";

fn roster_of(model: &Model, rows: &[&str]) -> Roster {
    let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
    cq::parse_solution(model, &text).expect("solution parses")
}

#[test]
fn hand_computed_costs_on_a_tiny_instance() {
    let model = cq::parse(TINY, "tiny").expect("tiny parses");
    // A: D D N N - - -   (a night then... N->N allowed; N then D forbidden; not used)
    // B: - D D - D - -
    let r = roster_of(&model, &["A,D,D,N,N,-,-,-", "B,-,D,D,-,D,-,-"]);
    let ev = evaluate(&model, &r);
    // Cover by hand (requirement per day, D then N):
    //   day0 D: 1 (A) vs 1 -> 0;  day1 D: A,B = 2 vs 1 -> over 1 -> 1
    //   day2 D: B = 1 vs 2 -> under 1 -> 100; day2 N: A = 1 vs 1 -> 0
    //   day3 D: 0 vs 1 -> 100;    day3 N: A = 1 vs 1 -> 0
    //   day4 D: B = 1 vs 1 -> 0;  day5 D: 0 vs 1 -> 100; day6: 0 vs 0 -> 0
    //   cover total = 1 + 100 + 100 + 100 = 301
    // Requests: A wants D on day 0 (met, 0); B does not want D on day 1 (broken, 3).
    // Total = 304.
    assert_eq!(ev.hard_units, 0, "violations: {:?}", ev.violations);
    assert_eq!(ev.cost, 304);
    let cover = ev
        .by_source
        .iter()
        .find(|s| s.label == "staffing levels")
        .map(|s| s.cost);
    assert_eq!(cover, Some(301));
    assert_eq!(ev.by_employee[1], 3, "B's broken day-off request");
    assert_eq!(ev.by_day[2], 100);

    // Now break hard rules on purpose:
    // A: N D - - - - D  -> N->D forbidden (1); weekend day 6 worked: 1 weekend (max 1, ok);
    //    runs: [0,1] len 2 ok, [6] touches the end (exempt from min 2); minutes 600+480+480
    //    = 1560 >= 1440 ok; off run days 2..5 len 4 ok.
    // B: D - D - - - -  -> works day 3? no. Off run day1 len 1 < min 1? min is 1 -> ok;
    //    minutes 960 ok; max weekends 0 ok.
    let r = roster_of(&model, &["A,N,D,-,-,-,-,D", "B,D,-,D,-,-,-,-"]);
    let ev = evaluate(&model, &r);
    assert_eq!(ev.hard_units, 1, "violations: {:?}", ev.violations);
    assert!(
        ev.violations[0].message.contains("D follows N"),
        "{:?}",
        ev.violations
    );

    // B on a night (not allowed), on day 3 (day off) and on a weekend (max 0):
    let r = roster_of(&model, &["A,D,D,-,-,-,-,-", "B,-,-,-,N,-,D,-"]);
    let ev = evaluate(&model, &r);
    // qualification 1 + day off 1 + weekend 1 + B's runs: [3] len 1 ok (min 1);
    // A: minutes 960 < 1440 -> 480 short = 8 started hours.
    assert_eq!(
        ev.hard_units,
        1 + 1 + 1 + 8,
        "violations: {:?}",
        ev.violations
    );
}

#[test]
fn vendored_instance_1_reader_matches_the_published_shape() {
    let text = include_str!("data/Instance1.txt");
    let model = cq::parse(text, "Instance1").expect("parses");
    assert_eq!(model.days(), 14);
    assert_eq!(model.employees.len(), 8);
    assert_eq!(model.shift_types.len(), 1);
    // Everyone off: every requirement is missed at weight 100, every on-request is missed.
    let ev = evaluate(&model, &Roster::empty(8, 14));
    let required: i64 = model
        .cover
        .iter()
        .map(|c| c.preferred as i64 * c.weight_under)
        .sum();
    let on_requests: i64 = text
        .split("SECTION_SHIFT_ON_REQUESTS")
        .nth(1)
        .and_then(|s| s.split("\n\n").next())
        .map(|s| {
            s.lines()
                .filter(|l| !l.starts_with('#') && l.contains(','))
                .map(|l| {
                    l.rsplit(',')
                        .next()
                        .and_then(|w| w.trim().parse::<i64>().ok())
                        .unwrap_or(0)
                })
                .sum()
        })
        .unwrap_or(0);
    assert_eq!(ev.cost, required + on_requests);
    // ... and it breaks the minimum-minutes rule of all 8 people.
    assert!(
        ev.violations
            .iter()
            .filter(|v| v.message.contains("minutes"))
            .count()
            == 8
    );
}

/// Independent, naive check of every hard rule: true when some hard rule is broken.
fn brute_force_broken(model: &Model, r: &Roster) -> bool {
    let nd = model.days();
    let ne = model.employees.len();
    let worked = |e: usize, d: isize| d >= 0 && (d as usize) < nd && r.get(e, d as usize).is_some();
    for c in &model.cover {
        let n = (0..ne)
            .filter(|&e| r.get(e, c.day) == Some(c.shift))
            .count() as u32;
        if n < c.min || c.max.is_some_and(|m| n > m) {
            return true;
        }
    }
    for e in 0..ne {
        for d in 0..nd {
            if let Some(s) = r.get(e, d)
                && !model.employees[e].allowed_shifts.is_empty()
                && !model.employees[e].allowed_shifts.contains(&s)
            {
                return true;
            }
        }
    }
    if model
        .locks
        .iter()
        .any(|l| r.get(l.employee, l.day) != l.shift)
    {
        return true;
    }
    for c in model
        .constraints
        .iter()
        .filter(|c| c.strength == Strength::Hard)
    {
        let members: Vec<usize> = match &c.scope {
            Scope::All => (0..ne).collect(),
            Scope::Employees(v) => v.clone(),
        };
        if let Rule::Fairness { measure, history } = &c.rule {
            let vals: Vec<i64> = members
                .iter()
                .enumerate()
                .map(|(i, &e)| {
                    let h = history.get(i).copied().unwrap_or(0);
                    h + match measure {
                        FairnessMeasure::Minutes => (0..nd)
                            .filter_map(|d| r.get(e, d))
                            .map(|s| model.shift_types[s].length_minutes as i64)
                            .sum::<i64>(),
                        FairnessMeasure::Shifts(v) => (0..nd)
                            .filter_map(|d| r.get(e, d))
                            .filter(|s| v.is_empty() || v.contains(s))
                            .count() as i64,
                        FairnessMeasure::Weekends => {
                            let mut ks: Vec<usize> = (0..nd)
                                .filter(|&d| r.get(e, d).is_some())
                                .filter_map(|d| model.horizon.weekend_of(d))
                                .collect();
                            ks.dedup();
                            ks.len() as i64
                        }
                    }
                })
                .collect();
            if vals.iter().max() != vals.iter().min() {
                return true;
            }
            continue;
        }
        for &e in &members {
            let broken = match &c.rule {
                Rule::ShiftCount {
                    shifts,
                    period,
                    min,
                    max,
                } => {
                    // Every window: the set of days with the same window key.
                    let key = |d: usize| match period {
                        Period::Horizon => 0,
                        Period::Week => (d + model.horizon.first_weekday as usize) / 7,
                        Period::Month => model.horizon.month_of(d),
                    };
                    let keys: std::collections::BTreeSet<usize> = (0..nd).map(key).collect();
                    keys.iter().any(|&k| {
                        let n = (0..nd)
                            .filter(|&d| key(d) == k)
                            .filter(|&d| {
                                r.get(e, d)
                                    .is_some_and(|s| shifts.is_empty() || shifts.contains(&s))
                            })
                            .count() as u32;
                        min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m)
                    })
                }
                Rule::TotalMinutes { period, min, max } => {
                    let key = |d: usize| match period {
                        Period::Horizon => 0,
                        Period::Week => (d + model.horizon.first_weekday as usize) / 7,
                        Period::Month => model.horizon.month_of(d),
                    };
                    let keys: std::collections::BTreeSet<usize> = (0..nd).map(key).collect();
                    keys.iter().any(|&k| {
                        let m: u32 = (0..nd)
                            .filter(|&d| key(d) == k)
                            .filter_map(|d| r.get(e, d))
                            .map(|s| model.shift_types[s].length_minutes)
                            .sum();
                        min.is_some_and(|x| m < x) || max.is_some_and(|x| m > x)
                    })
                }
                // Some window of max+1 days all worked.
                Rule::MaxConsecutiveWork { max } => {
                    (0..nd as isize).any(|d| (d..=d + *max as isize).all(|x| worked(e, x)))
                }
                // Some inner run shorter than min: a worked day d with an off (or edge-exempt)
                // boundary on both sides within min days.
                Rule::MinConsecutiveWork { min } | Rule::MinConsecutiveDaysOff { min } => {
                    let want = matches!(c.rule, Rule::MinConsecutiveWork { .. });
                    (1..*min as usize).any(|len| {
                        (1..nd.saturating_sub(len)).any(|start| {
                            let end = start + len; // exclusive
                            end < nd
                                && (start..end).all(|d| worked(e, d as isize) == want)
                                && worked(e, start as isize - 1) != want
                                && worked(e, end as isize) != want
                        })
                    })
                }
                Rule::ForbiddenSuccession { from, to } => {
                    (1..nd).any(|d| r.get(e, d - 1) == Some(*from) && r.get(e, d) == Some(*to))
                }
                Rule::MinRest { minutes } => {
                    (1..nd).any(|d| match (r.get(e, d - 1), r.get(e, d)) {
                        (Some(a), Some(b)) => {
                            let end = model.shift_types[a].start_minute as i64
                                + model.shift_types[a].length_minutes as i64;
                            1440 + (model.shift_types[b].start_minute as i64) - end
                                < *minutes as i64
                        }
                        _ => false,
                    })
                }
                Rule::MaxWeekends { max } => {
                    // Saturdays and Sundays by weekday; a Sunday belongs with the day before.
                    let mut n = 0;
                    let mut d = 0;
                    while d < nd {
                        let wd = model.horizon.weekday(d);
                        if wd == 5 || wd == 6 {
                            let span = if wd == 5 { 2 } else { 1 };
                            if (d..(d + span).min(nd)).any(|x| worked(e, x as isize)) {
                                n += 1;
                            }
                            d += span;
                        } else {
                            d += 1;
                        }
                    }
                    n > *max
                }
                Rule::Unavailable { days, shifts } => days.iter().any(|&d| {
                    r.get(e, d)
                        .is_some_and(|s| shifts.is_empty() || shifts.contains(&s))
                }),
                Rule::ShiftOnRequest { day, shift } => match shift {
                    Some(s) => r.get(e, *day) != Some(*s),
                    None => r.get(e, *day).is_none(),
                },
                Rule::ShiftOffRequest { day, shift } => match shift {
                    Some(s) => r.get(e, *day) == Some(*s),
                    None => r.get(e, *day).is_some(),
                },
                _ => false,
            };
            if broken {
                return true;
            }
        }
    }
    false
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]
    #[test]
    fn hard_violations_are_never_missed(
        (model, r) in (1usize..4, 1usize..12, 1usize..3).prop_flat_map(|(ne, nd, ns)| (common::model(ne, nd, ns), common::roster(ne, nd, ns)))
    ) {
        let ev = evaluate(&model, &r);
        prop_assert_eq!(ev.hard_units > 0, brute_force_broken(&model, &r), "violations: {:?}", ev.violations);
        prop_assert_eq!(ev.hard_units, ev.violations.iter().map(|v| v.units).sum::<i64>());
    }
}
