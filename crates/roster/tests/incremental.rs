//! The solver's incremental state must agree with the exact evaluator after any sequence of
//! cell changes, on random models that use every rule kind.

mod common;

use proptest::prelude::*;
use roster::eval::evaluate;
use roster::solve::state::{OFF, Problem, State};

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
    #[test]
    fn incremental_matches_full_evaluation(
        (model, start, changes) in (1usize..4, 1usize..16, 1usize..4).prop_flat_map(|(ne, nd, ns)| (
            common::model(ne, nd, ns),
            common::roster(ne, nd, ns),
            proptest::collection::vec((0..ne, 0..nd, proptest::option::of(0..ns)), 1..40),
        ))
    ) {
        let p = Problem::new(&model);
        let mut st = State::new(&p, &model, Some(&start));
        let ev = evaluate(&model, &start);
        prop_assert_eq!((st.cost.soft, st.cost.hard), (ev.cost, ev.hard_units), "initial");
        check_gap_lists(&st)?;
        for (e, d, v) in changes {
            st.set(e, d, v.map_or(OFF, |s| s as u16));
            let ev = evaluate(&model, &st.roster());
            prop_assert_eq!((st.cost.soft, st.cost.hard), (ev.cost, ev.hard_units), "after setting ({}, {}) to {:?}", e, d, v);
            check_gap_lists(&st)?;
        }
    }
}

/// The under/over-cover lists hold exactly the (day, shift) cells below/above their preferred
/// cover, each once.
fn check_gap_lists(st: &State<'_>) -> Result<(), TestCaseError> {
    let p = st.p;
    let mut under: Vec<u32> = st.under_cover().to_vec();
    let mut over: Vec<u32> = st.over_cover().to_vec();
    under.sort_unstable();
    over.sort_unstable();
    let (mut want_under, mut want_over) = (Vec::new(), Vec::new());
    for d in 0..p.nd {
        for s in 0..p.ns {
            let i = d * p.ns + s;
            let n: i64 = (0..p.ne).filter(|&e| st.get(e, d) == s as u16).count() as i64;
            prop_assert_eq!(n, st.cover_n[i] as i64);
            match p.preferred(d, s) {
                Some(x) if n < x => want_under.push(i as u32),
                Some(x) if n > x => want_over.push(i as u32),
                _ => {}
            }
        }
    }
    prop_assert_eq!(under, want_under, "under-cover list");
    prop_assert_eq!(over, want_over, "over-cover list");
    Ok(())
}
