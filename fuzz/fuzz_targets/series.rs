//! Any text as promtool series notation (`metric{labels} 1+2x3 _ stale`), one
//! series per line, as `input_series` and promqltest `load` read it. No panic,
//! no unbounded allocation: an expanded series holds at most `MAX_VALUES`
//! values, and the unexpanded runs (what unit-test input reads) expand to
//! exactly the same values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlalert::engine::series_desc::{MAX_VALUES, Run, parse_runs, parse_series_line, parse_values};
use mlalert_fuzz::guard;

fuzz_target!(init: mlalert_fuzz::init(), |text: &str| {
    guard(|| {
        for line in text.lines().take(64) {
            if let Ok((_, values)) = parse_series_line(line) {
                assert!((values.len() as u64) <= MAX_VALUES, "{} values", values.len());
            }
            if let Ok(values) = parse_values(line) {
                assert!((values.len() as u64) <= MAX_VALUES, "{} values", values.len());
                let runs = parse_runs(line).expect("runs parse where values do");
                let expanded: Vec<_> = runs.into_iter().flat_map(Run::values).collect();
                // NaN != NaN: compare bit patterns.
                let bits = |v: &[mlalert::engine::series_desc::SeqValue]| format!("{v:?}");
                assert_eq!(bits(&expanded), bits(&values));
            }
        }
    });
});
