//! Differential fuzzing of mlalert's PromQL parser against promql-parser
//! 0.11, the parser it replaced: where both accept an expression, the two
//! trees, written as the S-expressions of the differential test
//! (`tests/it/promql/sexpr.rs`, included here), must be equal. Where only
//! one accepts nothing is asserted: the known differences (syntax newer than
//! promql-parser) are listed by that test, and strings holding bytes that
//! are not UTF-8 (a code point for promql-parser) are not compared. Inputs are
//! bounded (2 KiB, nesting 100) so that promql-parser's recursion cannot
//! overflow; its panics are caught and reported once per place.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlalert::promql::{self, syntax};
use mlalert_fuzz::guard;

#[path = "../../tests/it/promql/sexpr.rs"]
#[allow(dead_code)]
mod sexpr;

fuzz_target!(init: mlalert_fuzz::init(), |text: &str| {
    guard(|| run(text));
});

fn run(text: &str) {
    if text.len() > 2048 {
        return;
    }
    let opts = syntax::Options::all_features();
    if promql::nesting_bound(&syntax::lex::lex(text, &opts), 100).is_err() {
        return;
    }
    let Ok(ours) = syntax::parse(text, &opts) else {
        return;
    };
    let theirs = std::panic::catch_unwind(|| promql_parser::parser::parse(text));
    let Ok(Ok(theirs)) = theirs else {
        return;
    };
    let (a, b) = (sexpr::sx_ours(&ours), sexpr::sx_pp(&theirs));
    // A `\xHH` escape that is not UTF-8 is a byte for Go and for us, a code
    // point for promql-parser (a known difference, listed by the test).
    if a.contains("\\u{10ff") {
        return;
    }
    assert_eq!(a, b, "the parsers build different trees for {text:?}");
}
