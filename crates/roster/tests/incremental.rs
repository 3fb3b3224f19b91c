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
        for (e, d, v) in changes {
            st.set(e, d, v.map_or(OFF, |s| s as u16));
            let ev = evaluate(&model, &st.roster());
            prop_assert_eq!((st.cost.soft, st.cost.hard), (ev.cost, ev.hard_units), "after setting ({}, {}) to {:?}", e, d, v);
        }
    }
}
