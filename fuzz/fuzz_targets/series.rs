//! Any text as promtool series notation (`metric{labels} 1+2x3 _ stale`), one
//! series per line, as `input_series` and promqltest `load` read it. No panic,
//! no unbounded allocation: a series expands to at most `MAX_VALUES` values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlalert::engine::series_desc::{MAX_VALUES, parse_series_line, parse_values};
use mlalert_fuzz::guard;

fuzz_target!(init: mlalert_fuzz::init(), |text: &str| {
    guard(|| {
        for line in text.lines().take(64) {
            if let Ok((_, values)) = parse_series_line(line) {
                assert!((values.len() as u64) < MAX_VALUES, "{} values", values.len());
            }
            if let Ok(values) = parse_values(line) {
                assert!((values.len() as u64) < MAX_VALUES, "{} values", values.len());
            }
        }
    });
});
